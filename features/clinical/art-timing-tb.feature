Feature: Start antiretroviral therapy early in tuberculosis with a very low CD4 count
  Topic code "art-timing-tb" (info).

  For a person with HIV and active tuberculosis who has never taken antiretroviral therapy (ART) and whose
  most recent CD4 count is below 50 cells/µL, ART should start within 2 weeks of starting TB treatment.
  An ART order being written now does not count as having taken ART: the reminder still shows, beside
  the TB-IRIS prophylaxis alert when that applies.

  Sources: WHO consolidated guidelines on HIV (timing of ART in tuberculosis).

  Background:
    Given a female patient aged 31
    And the patient has HIV
    And the patient started rifampicin 5 days ago
    And the patient started isoniazid 5 days ago

  Scenario: Active tuberculosis, CD4 count of 30, never on ART
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert fires
    And the "art-timing-tb" alert is info
    And the "art-timing-tb" alert explains "within 2 weeks"
    And the "art-timing-tb" alert explains "Most recent CD4 count: 30 cells/µL (below 50 cells/µL)"
    And only these alerts fire: art-timing-tb

  Scenario Outline: The most recent CD4 count must be below 50 cells/µL
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of <cd4> cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert <outcome>

    Examples:
      | cd4 | outcome       |
      | 49  | fires         |
      | 50  | does not fire |

  Scenario: Only the most recent CD4 count counts
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 100 days ago
    And a CD4 count of 80 cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert does not fire

  Scenario: The patient has taken ART before
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    And the patient stopped efavirenz 200 days ago after 300 days of treatment
    When the rules are evaluated
    Then the "art-timing-tb" alert does not fire

  Scenario: ART is being ordered now for the first time
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-tb" alert fires
    And the "tb-iris-prophylaxis" alert fires

  Scenario: Tuberculosis that has been treated and resolved
    Given the patient had pulmonary tuberculosis (A15.0) 400 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert does not fire
