Feature: Requests as real EHR clients send them
  An EHR sends more than the rules read, and not always as the FHIR specification writes it. Whatever no rule
  reads never stands between the clinician and a safety alert; what a rule reads is read wherever the record
  keeps it.

  Background:
    Given the clinrules service is running

  Scenario: a thalidomide order whose category is written as one object still warns of the pregnancy
    Given the EHR prepares the CDS Hooks request "sandbox-order-select-thalidomide"
    When the EHR calls the "order-select" service
    Then the service answers 200
    And the "thalidomide-pregnancy" card is critical
    And the "thalidomide-pregnancy" card suggests deleting "MedicationRequest/request-123"
    And every card follows the CDS Hooks specification

  Scenario: an order opened before the drug is chosen is answered, with nothing to warn about yet
    Given the EHR prepares the CDS Hooks request "sandbox-order-select-no-drug-yet"
    When the EHR calls the "order-select" service
    Then the service answers 200
    And no card is returned

  Scenario: a CD4 count reported inside a lymphocyte panel, with ART given by a contained medication
    Given the EHR prepares the CDS Hooks request "patient-view-cd4-in-panel"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk
    And every card follows the CDS Hooks specification
