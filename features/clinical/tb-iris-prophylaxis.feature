Feature: Prednisone to prevent paradoxical TB-IRIS when ART starts during TB treatment
  Topic code "tb-iris-prophylaxis" (info).

  In the PredART trial, prednisone 40 mg/day for 14 days then 20 mg/day for 14 days, started with
  antiretroviral therapy (ART), cut paradoxical TB-IRIS by about 30%. The trial enrolled people starting
  ART for the first time. The alert fires when ART is being ordered for a patient with HIV who has never
  taken it, with active tuberculosis, TB treatment started no more than 30 days ago (TB treatment starts
  with the first rifamycin, pyrazinamide or ethambutol; isoniazid alone is preventive therapy), and a CD4
  count before ART of 100 cells/µL or less, unless the patient already takes a systemic corticosteroid or
  has tuberculous meningitis, Kaposi sarcoma or hepatitis B (excluded from the trial; counted whatever
  their recorded status). A refill, a change of regimen or a restart is not a first start.

  Sources: Meintjes, Stek et al., N Engl J Med 2018 (PredART trial).

  Background:
    Given a male patient aged 36
    And the patient has HIV
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 21 days ago

  Scenario: ART ordered three weeks into TB treatment with a CD4 count of 80
    Given the patient started rifampicin 20 days ago
    And the patient started isoniazid 20 days ago
    And a CD4 count of 80 cells/µL 21 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert fires
    And the "tb-iris-prophylaxis" alert is info
    And the "tb-iris-prophylaxis" alert explains "40 mg once daily for 14 days, then 20 mg once daily for 14 days"
    And only these alerts fire: iris-risk, art-timing-tb, tb-iris-prophylaxis
    And the alerts are, in order: iris-risk, art-timing-tb, tb-iris-prophylaxis

  Scenario Outline: TB treatment must have started no more than 30 days ago
    Given the patient started rifampicin <days> days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert <outcome>

    Examples:
      | days | outcome       |
      | 30   | fires         |
      | 31   | does not fire |

  Scenario Outline: The CD4 count before ART must be 100 cells/µL or less
    Given the patient started rifampicin 20 days ago
    And a CD4 count of <cd4> cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert <outcome>

    Examples:
      | cd4 | outcome       |
      | 100 | fires         |
      | 101 | does not fire |

  Scenario Outline: Conditions excluded from the trial stop the suggestion
    Given the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And the patient <record> (<code>)
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

    Examples:
      | record                             | code   |
      | has tuberculous meningitis         | A17.0  |
      | has Kaposi sarcoma of skin         | C46.0  |
      | has chronic hepatitis B            | B18.1  |
      | had acute hepatitis B              | B16.9  |
      | has viral hepatitis B, unspecified | B19.10 |
      | has hepatitis B carrier state      | Z22.51 |

  Scenario Outline: Hepatitis B worded "type B viral hepatitis" in SNOMED CT stops the suggestion
    Given the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And the patient has <record>, coded SNOMED CT "<code>"
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

    Examples:
      | record                                | code      |
      | chronic type B viral hepatitis        | 61977001  |
      | acute type B viral hepatitis          | 76795007  |
      | occult chronic type B viral hepatitis | 713966008 |

  Scenario: Not yet on TB treatment
    Given a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

  Scenario: No ART is being ordered
    Given the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

  Scenario: A regimen switch during TB treatment is not a first start
    Given the patient started efavirenz 400 days ago
    And the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire
    And the "iris-risk" alert does not fire

  Scenario: Restarting ART after an interruption is not a first start
    Given the patient stopped efavirenz 200 days ago after 300 days of treatment
    And the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire
    And the "iris-risk" alert fires

  Scenario: A patient already on a systemic corticosteroid gets no prednisone suggestion
    Given the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And the patient started prednisolone 15 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

  Scenario: Isoniazid preventive therapy before TB treatment does not count as TB treatment
    Given the patient started isoniazid 150 days ago
    And the patient started rifampicin 20 days ago
    And the patient started pyrazinamide 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert fires
    And the "tb-iris-prophylaxis" alert explains "Days since TB treatment began (first rifamycin, pyrazinamide or ethambutol of the current course): 20"

  Scenario: Isoniazid alone is preventive therapy, not TB treatment
    Given the patient started isoniazid 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

  Scenario: Already on ART when TB treatment starts
    Given the patient started dolutegravir 60 days ago
    And a CD4 count of 80 cells/µL 65 days ago
    And the patient started rifampicin 20 days ago
    And the patient started isoniazid 20 days ago
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire
