Feature: CDS Hooks services return cards
  Cards follow the CDS Hooks specification, most urgent first; draft orders count as being ordered now.

  Background:
    Given the clinrules service is running

  Scenario: patient-view warns of IRIS risk after ART started with a low CD4 count
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk
    And the "iris-risk" card is warning
    And every card follows the CDS Hooks specification

  Scenario: patient-view with nothing to say returns no card
    Given the EHR prepares the CDS Hooks request "patient-view-no-alerts"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And no card is returned

  Scenario: order-select of ART two weeks after cryptococcal meningitis
    Given the EHR prepares the CDS Hooks request "order-select-art-cryptococcal"
    When the EHR calls the "order-select" service
    Then the service answers 200
    And the cards are, in order: art-timing-cryptococcal, iris-risk
    And the "art-timing-cryptococcal" card suggests deleting "MedicationRequest/draft-art"
    And every card follows the CDS Hooks specification

  Scenario: order-sign of thalidomide for a pregnant patient offers to remove the draft order
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the cards are, in order: thalidomide-pregnancy, thalidomide-teratogenicity
    And the "thalidomide-pregnancy" card is critical
    And the "thalidomide-pregnancy" card suggests deleting "MedicationRequest/draft-thal"
    And every card follows the CDS Hooks specification

  Scenario: a hook call must carry the hook's context
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the request context leaves out "patientId"
    When the EHR calls the "patient-view" service
    Then the service answers a 422 problem
    And the problem names the field "context.patientId"

  Scenario: a request for one hook sent to another hook's service is refused
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    When the EHR calls the "order-sign" service
    Then the service answers a 422 problem
    And the problem names the field "hook"
