Feature: Suspected IRIS after antiretroviral therapy starts
  Topic code "iris-suspected" (warning).

  In the first 90 days of a course of antiretroviral therapy (ART), an infection or inflammation known to
  be linked with IRIS that is new since ART started, or that has recurred or relapsed since then, suggests
  an immune reconstitution inflammatory syndrome. The alert says which signs of immune response support it
  (a fall in viral load of at least 1 log10, a CD4 count above the pre-ART baseline) and advises keeping
  ART going. The linked conditions include tuberculosis, cryptococcosis, CMV disease, MAC, PML, herpes
  zoster and simplex, molluscum, hepatitis B and C, lymphadenopathy, Kaposi sarcoma and pneumocystis.

  Sources: AIDS InfoNet fact sheet 483 (definition, linked conditions, immune response, continue ART,
  steroids); INSHI case definitions, Lancet Infect Dis 2008; US DHHS antiretroviral guidelines.

  Background:
    Given a female patient aged 45

  Scenario: Tuberculosis diagnosed three weeks after ART started
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 9 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-suspected" alert is warning
    And the "iris-suspected" alert explains "IRIS-associated condition new or recurring since ART start"
    And the "iris-suspected" alert explains "Keep ART going"

  Scenario: The alert reports the immune response that supports IRIS
    Given a viral load of 250000 copies/mL 32 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And a CD4 count of 40 cells/µL 32 days ago
    And a viral load below 50 copies/mL 5 days ago
    And a CD4 count of 150 cells/µL 5 days ago
    And the patient has cryptococcal meningitis (B45.1) diagnosed 4 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-suspected" alert explains "Fall in HIV-1 viral load since ART start (≥ 1 log10 supports IRIS): 3.7"
    And the "iris-suspected" alert explains "CD4 count above the pre-ART baseline (supports IRIS): yes"

  Scenario: A result that only repeats the value before it is cited by its date
    Given today is 2025-03-01
    And a CD4 count of 40 cells/µL 32 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And a CD4 count of 150 cells/µL 5 days ago
    And the patient has cryptococcal meningitis (B45.1) diagnosed 4 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-suspected" alert explains "Most recent CD4 count: 150 cells/µL on 2025-02-24"
    And the "iris-suspected" alert explains "(last before ART start, within 180 days): 40 cells/µL on 2025-01-28"

  Scenario: Without viral load or CD4 results the immune response is shown as unknown
    Given the patient has herpes simplex (B00.9) diagnosed 4 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-suspected" alert explains "(≥ 1 log10 supports IRIS): unknown"

  Scenario: A known herpes zoster recurs after ART started
    Given the patient has herpes zoster (B02.9) that recurred 10 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario: A hepatitis B flare (relapse) after ART started
    Given the patient has chronic hepatitis B (B18.1) that relapsed 6 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario Outline: Progressive multifocal leukoencephalopathy found after ART started
    Given the patient has progressive multifocal leukoencephalopathy, coded <system> "<code>" diagnosed 5 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

    Examples:
      | system        | code        |
      | SNOMED CT     | 22255007    |
      | CIEL          | 5046        |
      | WHO SMART HIV | HIV.D.DE345 |

  Scenario: A condition diagnosed before ART started is not new since ART
    Given the patient has pulmonary tuberculosis (A15.0) diagnosed 60 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire

  Scenario: A condition that is not linked with IRIS
    Given the patient has essential hypertension (I10) diagnosed 5 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire

  Scenario Outline: Conditions linked with IRIS, recognised by their ICD-10-CM code or a parent code
    Given the patient has <condition> (<code>) diagnosed 7 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

    Examples:
      | condition                                   | code   |
      | cytomegaloviral disease                     | B25.9  |
      | Mycobacterium avium complex infection       | A31.0  |
      | progressive multifocal leukoencephalopathy  | A81.2  |
      | molluscum contagiosum                       | B08.1  |
      | chronic hepatitis C                         | B18.2  |
      | localized enlarged lymph nodes              | R59.0  |
      | Kaposi sarcoma of skin                      | C46.0  |
      | pneumocystosis                              | B59    |

  Scenario Outline: The alert only applies in the first 90 days of the ART course
    Given a male patient aged 50
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient started efavirenz <art days> days ago
    And the patient has disseminated tuberculosis (A19.9) diagnosed 5 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert <outcome>

    Examples:
      | art days | outcome       |
      | 90       | fires         |
      | 91       | does not fire |

  Scenario: PrEP and a new herpes simplex in a person without HIV is not IRIS
    Given the patient started emtricitabine/tenofovir 30 days ago
    And the patient has herpes simplex (B00.9) diagnosed 4 days ago
    When the rules are evaluated
    Then no alert fires

  Scenario: Tenofovir for hepatitis B with a flare, without HIV, is not IRIS
    Given the patient started tenofovir 40 days ago
    And the patient has chronic hepatitis B (B18.1) that relapsed 5 days ago
    When the rules are evaluated
    Then no alert fires

  Scenario: A relapse that began before ART started is not new since ART
    Given the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has cryptococcal meningitis (B45.1) that relapsed 40 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire

  Scenario: Tuberculosis diagnosed on the day ART starts is not new since ART
    Given the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 30 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire

  Scenario: Tuberculosis diagnosed the day after ART started is new since ART
    Given the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 29 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario: Renewals recorded as completed keep the course three years old
    Given the patient has HIV
    And efavirenz was renewed every 90 days for 1051 days, earlier renewals marked completed
    And the patient has herpes zoster (B02.9) diagnosed 20 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire
