Feature: CDS Hooks authentication
  With JWT security on, only tokens from trusted EHRs, for this service, unexpired and unused, are accepted.

  Background:
    Given the clinrules service is running with JWT security on
    And the EHR prepares the CDS Hooks request "patient-view-no-alerts"

  Scenario: a valid token
    When the EHR calls the "patient-view" service with a valid token
    Then the service answers 200

  Scenario: no token
    When the EHR calls the "patient-view" service
    Then the service answers a 401 problem
    And the problem says nothing more

  Scenario Outline: a bad token is a bare 401
    When the EHR calls the "patient-view" service with a <kind> token
    Then the service answers a 401 problem
    And the problem says nothing more

    Examples:
      | kind        |
      | expired     |
      | foreign     |
      | replayed    |
      | misdirected |
