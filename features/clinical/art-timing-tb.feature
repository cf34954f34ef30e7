Feature: Start antiretroviral therapy within 2 weeks of TB treatment
  Topic code "art-timing-tb" (info).

  For a person with HIV and active tuberculosis who is not on antiretroviral therapy (ART) now, because it
  was never started or because it was interrupted, ART should start within 2 weeks of starting TB
  treatment, whatever the CD4 count (WHO 2021). It is most urgent when the CD4 count is below 50 cells/µL,
  and the card says so. Tuberculous meningitis is the exception: there ART waits 4-8 weeks, so the card is
  not shown. An ART order being written now does not count as being on ART: the reminder still shows,
  beside the TB-IRIS prophylaxis alert when that applies.

  Sources: WHO consolidated guidelines on HIV, 2021 (timing of ART in people with TB).

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
    And the "art-timing-tb" alert explains "most urgent when the CD4 count is below 50 cells/µL"
    And the "art-timing-tb" alert explains "Most recent CD4 count (ART most urgent below 50 cells/µL): 30"
    And only these alerts fire: art-timing-tb

  Scenario Outline: Whatever the CD4 count
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of <cd4> cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert fires

    Examples:
      | cd4 |
      | 49  |
      | 50  |
      | 350 |

  Scenario: No CD4 count on record
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert fires

  Scenario: ART interrupted a year ago counts as not on ART
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 180 cells/µL 6 days ago
    And the patient stopped efavirenz 365 days ago after 300 days of treatment
    When the rules are evaluated
    Then the "art-timing-tb" alert fires
    And the "art-timing-tb" alert explains "Has ever taken antiretroviral therapy: yes"

  Scenario: A patient on ART gets no reminder to start it
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    And the patient started dolutegravir 200 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert does not fire

  Scenario: Tuberculous meningitis: ART waits, so no reminder to start within 2 weeks
    Given the patient has tuberculous meningitis (A17.0) diagnosed 6 days ago
    And a CD4 count of 30 cells/µL 6 days ago
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
