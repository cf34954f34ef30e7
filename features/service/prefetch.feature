Feature: Missing prefetch
  Data not prefetched is fetched from the EHR's FHIR server, when the deployment trusts that server; a
  search the EHR sent in pages is read to its last page. When the data cannot be had, the answer is 412:
  the patient is never judged on part of the record.

  Background:
    Given the clinrules service is running

  Scenario: missing prefetch and no FHIR server is a 412 with an OperationOutcome
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the request leaves out the prefetch "conditions"
    When the EHR calls the "patient-view" service
    Then the service answers a 412 problem
    And the problem carries an OperationOutcome mentioning "conditions"

  Scenario: without prefetch the data is fetched from a FHIR server the deployment trusts
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the request has no prefetch
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk

  Scenario: without prefetch, a CD4 count inside a lymphocyte panel is found by the observation search
    Given the EHR prepares the CDS Hooks request "patient-view-cd4-in-panel"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the request has no prefetch
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk

  Scenario: without an observations prefetch, an HIV stated only as an "HIV status" Observation is fetched
    Given the EHR prepares the CDS Hooks request "who-smart-patient-view-hiv-status"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the request leaves out the prefetch "observations"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: iris-risk
    And the "iris-risk" card says "HIV-positive status (Observation hiv-status)"

  Scenario: a FHIR server the deployment does not trust is never contacted
    Given the EHR prepares the CDS Hooks request "patient-view-iris-risk"
    And the EHR's FHIR server holds the patient's record
    And the request has no prefetch
    When the EHR calls the "patient-view" service
    Then the service answers a 412 problem
    And the EHR's FHIR server was never asked for anything

  Scenario: a pregnancy status on the second page of the observations still stops thalidomide
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the observations are prefetched as a first page holding only a body weight
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the "thalidomide-pregnancy" card is critical

  Scenario: observations that cannot be read to the last page are a 412, never an answer without them
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    And the EHR's FHIR server holds the patient's record
    And the observations are prefetched as a first page holding only a body weight
    When the EHR calls the "order-sign" service
    Then the service answers a 412 problem
    And the problem carries an OperationOutcome mentioning "observations"

  Scenario: a draft thalidomide order naming its drug only by reference is judged on the fetched Medication
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the draft order "draft-thal" names its drug only as Medication "thal" on the EHR's FHIR server, coded RxNorm "10432"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the "thalidomide-pregnancy" card is critical
    And the "thalidomide-teratogenicity" card is critical
    And the EHR's FHIR server was asked for "Medication/thal" only

  Scenario: a search whose total counts more matches than it holds is fetched again, never judged as whole
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    And the EHR's FHIR server holds the patient's record
    And the service trusts the EHR's FHIR server
    And the observations are prefetched as an empty search whose total is 1
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the "thalidomide-pregnancy" card is critical
