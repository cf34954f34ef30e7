Feature: Errors are problem details
  Every error is RFC 9457 application/problem+json; bad input is a 4xx, never a 500.

  Background:
    Given the clinrules service is running

  Scenario: malformed JSON
    When the EHR posts '{"hook": ' to "/cds-services/patient-view" as "application/json"
    Then the service answers a 400 problem

  Scenario: a body that is not JSON
    When the EHR posts 'hook=patient-view' to "/evaluate" as "text/plain"
    Then the service answers a 415 problem

  Scenario: a body without a content type
    When the EHR posts '{"patient": {"sex": "female"}}' to "/evaluate" without a content type
    Then the service answers a 415 problem

  Scenario: text that is not Unicode
    When the EHR posts '{"patient": {"id": "\ud800"}}' to "/evaluate" as "application/json"
    Then the service answers a 422 problem
    And the problem names the field "patient.id"

  Scenario: a scenario with a wrong field
    When the EHR posts '{"patient": {"sex": "robot"}}' to "/evaluate" as "application/json"
    Then the service answers a 422 problem
    And the problem names the field "patient.sex"

  Scenario: an unknown service
    When the EHR sends "POST" to "/cds-services/no-such-service"
    Then the service answers a 404 problem

  Scenario: a method the resource does not allow
    When the EHR sends "DELETE" to "/rules"
    Then the service answers a 405 problem
