Feature: Card feedback
  The EHR reports what the clinician did with each card; outcomes are stored for the audit.

  Background:
    Given the clinrules service is running

  Scenario: a card overridden with one of its override reasons
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "patient-view" service
    And the clinician overrides the "iris-risk" card giving the reason "already-monitored"
    Then the feedback is stored

  Scenario: a suggestion accepted
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    When the EHR calls the "order-sign" service
    And the clinician accepts the suggestion of the "thalidomide-pregnancy" card
    Then the feedback is stored

  Scenario: an override reason the card does not offer is refused
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "patient-view" service
    And the clinician overrides the "iris-risk" card giving the reason "because-i-said-so"
    Then the service answers a 422 problem
    And the problem names the field "feedback.0.overrideReason.reason.code"
