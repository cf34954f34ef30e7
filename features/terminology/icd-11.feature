Feature: Diagnoses coded in ICD-11
  WHO's ICD-11 (system http://id.who.int/icd/release/11/mms; the WHO SMART HIV guideline's maps write
  http://hl7.org/fhir/sid/icd-11) codes HIV with its stage and associated disease: 1C60 is HIV disease
  associated with tuberculosis, 1C62 HIV disease without mention of tuberculosis or malaria. Source: WHO's
  ICD-11/ICD-10 mapping tables (2020). Codes match their children.

  Scenario Outline: HIV in ICD-11, a very low CD4 count and ART ordered
    Given a male patient aged 40
    And the patient has HIV disease, coded <system> "<code>"
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires

    Examples:
      | system                                         | code   |
      | ICD-10-CM                                      | B20    |
      | ICD-11                                         | 1C62.3 |
      | ICD-11 as the WHO HIV guideline maps write it  | 1C62.Z |

  Scenario: HIV disease associated with tuberculosis, a month after ART started
    Given a female patient aged 45
    And the patient started dolutegravir 30 days ago
    And the patient has HIV with tuberculosis, coded ICD-11 "1C60.Z" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario: HIV without mention of tuberculosis does not count as tuberculosis
    Given a female patient aged 45
    And the patient started dolutegravir 30 days ago
    And the patient has HIV disease clinical stage 4, coded ICD-11 "1C62.3" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert does not fire

  Scenario: Cerebral cryptococcosis in ICD-11, and ART is ordered
    Given a male patient aged 33
    And the patient has HIV disease, coded ICD-11 "1C62.3"
    And a CD4 count of 25 cells/µL 10 days ago
    And the patient has cerebral cryptococcosis, coded ICD-11 "1F27.1" diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires

  Scenario: IRIS in ICD-11, steroid-dependent
    Given a male patient aged 42
    And the patient has HIV
    And the patient started dolutegravir 60 days ago
    And the patient has immune reconstitution inflammatory syndrome, coded ICD-11 "4B23" diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
