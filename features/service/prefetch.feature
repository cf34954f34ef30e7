Feature: Missing prefetch
  Data not prefetched is fetched from the EHR's FHIR server; when that is impossible the answer is 412.

  Background:
    Given the clinrules service is running

  Scenario: missing prefetch and no FHIR server is a 412 with an OperationOutcome
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the request leaves out the prefetch "conditions"
    When the EHR calls the "patient-view" service
    Then the service answers a 412 problem
    And the problem carries an OperationOutcome mentioning "conditions"

  Scenario: without prefetch the data is fetched from the EHR's FHIR server
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the EHR's FHIR server holds the patient's record
    And the request has no prefetch
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk
