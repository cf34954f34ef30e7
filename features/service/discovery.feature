Feature: CDS Hooks discovery
  An EHR finds out which CDS services clinrules offers and what data each needs in advance.

  Scenario: The three hooks are offered, each with its prefetch
    Given the clinrules service is running
    When the EHR asks for the CDS services
    Then the service answers 200
    And the services offered are patient-view, order-select and order-sign
    And every service prefetches patient, observations, conditions, medicationRequests and medicationStatements
