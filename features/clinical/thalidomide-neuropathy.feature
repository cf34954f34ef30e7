Feature: Peripheral neuropathy with thalidomide-class drugs
  Topic code "thalidomide-neuropathy" (warning).

  Thalidomide damages peripheral nerves, sometimes permanently. The alert fires when thalidomide,
  lenalidomide or pomalidomide is being ordered, taken or proposed by a rule, and the patient has a
  peripheral neuropathy (ICD-10-CM G60-G64). It is not shown for POEMS syndrome, where neuropathy is part
  of the disease and thalidomide improved nerve conduction in a prospective series.

  Sources: Goli, Curr Pain Headache Rep 2007 (neurotoxicity limits use); THALOMID prescribing information;
  Kuwabara et al., J Neurol Neurosurg Psychiatry 2008 (no thalidomide neuropathy in POEMS).

  Background:
    Given a female patient aged 62

  Scenario: Thalidomide ordered for a patient with polyneuropathy
    Given the patient has polyneuropathy (G62.9)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert fires
    And the "thalidomide-neuropathy" alert is warning
    And the "thalidomide-neuropathy" alert explains "baseline neurological examination"

  Scenario: Pomalidomide taken by a patient with hereditary neuropathy
    Given the patient has hereditary motor and sensory neuropathy (G60.0)
    And the patient started pomalidomide 20 days ago
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert fires

  Scenario: Thalidomide proposed for refractory pain in a patient with neuropathy
    Given the patient has chronic pain syndrome, intractable (G89.4)
    And the patient has polyneuropathy (G62.9)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert fires
    And the "thalidomide-neuropathy" alert fires
    And the "thalidomide-neuropathy" alert follows from the "pain-thalidomide" alert

  Scenario: POEMS syndrome: its neuropathy is no reason to withhold thalidomide
    Given the patient has a condition recorded as "POEMS syndrome"
    And the patient has polyneuropathy (G62.9)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert does not fire
    And the "thalidomide-teratogenicity" alert fires

  Scenario: A neuropathy that has resolved
    Given the patient had polyneuropathy (G62.9)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert does not fire

  Scenario: Neuropathy without a thalidomide-class drug
    Given the patient has polyneuropathy (G62.9)
    When the rules are evaluated
    Then no alert fires

  Scenario Outline: Diabetic polyneuropathy is a peripheral neuropathy
    Given the patient has <name> (<code>)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert fires

    Examples:
      | name                                                  | code   |
      | type 2 diabetes with diabetic polyneuropathy          | E11.42 |
      | type 1 diabetes with diabetic polyneuropathy          | E10.42 |
      | other specified diabetes with diabetic polyneuropathy | E13.42 |
