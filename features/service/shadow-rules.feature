Feature: Shadow rules and alert analytics
  Before a rule goes live the CDS committee runs it in shadow: it is evaluated for every patient and the
  audit counts how often it would have fired, but no clinician ever sees it, and it never silences or
  replaces a rule that is live. The alert analytics count firings, cards accepted and overridden, and
  each override reason, per rule and week.

  Scenario: a rule in shadow fires silently, and the analytics count it
    Given the clinrules service is running with the rule "iris-risk" in shadow
    And the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And no "iris-risk" card is shown
    And the analytics count 1 evaluation in which "iris-risk" would have fired
    And the analytics count 0 evaluations in which "iris-risk" was shown

  Scenario: a rule in shadow leaves the other cards as they were
    Given the clinrules service is running with the rule "art-timing-cryptococcal" in shadow
    And the EHR prepares the CDS Hooks request "order-select-art-cryptococcal"
    When the EHR calls the "order-select" service
    Then the cards are, in order: iris-risk
    And the analytics count 1 evaluation in which "art-timing-cryptococcal" would have fired
    And the analytics count 1 evaluation in which "iris-risk" was shown

  Scenario: a safety rule in shadow neither silences nor replaces the live pregnancy warning
    Given the clinrules service is running with the rule "thalidomide-teratogenicity" in shadow
    And the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    When the EHR calls the "order-sign" service
    Then the cards are, in order: thalidomide-pregnancy
    And the "thalidomide-pregnancy" card is critical
    And the analytics count 1 evaluation in which "thalidomide-teratogenicity" would have fired

  Scenario: the analytics count a card overridden, with its reason
    Given the clinrules service is running with an empty audit trail
    And the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "patient-view" service
    And the clinician overrides the "iris-risk" card giving the reason "already-monitored"
    Then the analytics count 1 evaluation in which "iris-risk" was shown
    And the analytics count 1 "iris-risk" card overridden with the reason "already-monitored"
    And the analytics count 0 "iris-risk" cards accepted

  Scenario: the analytics count a suggestion accepted
    Given the clinrules service is running with an empty audit trail
    And the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    When the EHR calls the "order-sign" service
    And the clinician accepts the suggestion of the "thalidomide-pregnancy" card
    Then the analytics count 1 "thalidomide-pregnancy" card accepted
    And the analytics count 0 "thalidomide-pregnancy" cards overridden
