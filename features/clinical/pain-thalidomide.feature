Feature: Thalidomide for refractory complex regional pain syndrome or intractable pain
  Topic code "pain-thalidomide" (info). This rule proposes thalidomide, so the thalidomide safety alerts
  come with it.

  Thalidomide inhibits TNF-α, a cytokine that seems to start neuropathic pain; in case reports some
  patients with complex regional pain syndrome (CRPS) or chronic intractable pain that resisted other
  treatment responded dramatically, but the human evidence is mixed and very weak. The alert fires for CRPS
  (G90.5, G56.4, G57.7) or chronic intractable pain (G89.29, G89.4) when the clinician has assessed the
  pain as refractory to standard therapy.

  Sources: Goli, Curr Pain Headache Rep 2007 (cytokines, mechanism, human evidence, limits).

  Background:
    Given a female patient aged 48

  Scenario: CRPS type I that has not responded to standard therapy
    Given the patient has complex regional pain syndrome I of right upper limb (G90.511)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert fires
    And the "pain-thalidomide" alert is info
    And the "pain-thalidomide" alert explains "case reports"
    And the "thalidomide-teratogenicity" alert is critical
    And the alerts are, in order: thalidomide-teratogenicity, pain-thalidomide

  Scenario Outline: Each kind of pain the rule covers
    Given the patient has <pain> (<code>)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert fires

    Examples:
      | pain                                  | code    |
      | causalgia of unspecified upper limb   | G56.40  |
      | causalgia of unspecified lower limb   | G57.70  |
      | other chronic pain                    | G89.29  |
      | chronic pain syndrome, intractable    | G89.4   |

  Scenario: CRPS not assessed as refractory
    Given the patient has complex regional pain syndrome I of right upper limb (G90.511)
    When the rules are evaluated
    Then no alert fires

  Scenario: Refractory pain of another kind
    Given the patient has low back pain (M54.50)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then no alert fires

  Scenario: CRPS that has resolved
    Given the patient had complex regional pain syndrome I of right upper limb (G90.511)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert does not fire
