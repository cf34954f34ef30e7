Feature: Diagnoses coded in WHO ICD-10
  Records outside the United States code diagnoses in WHO's ICD-10 (system http://hl7.org/fhir/sid/icd-10),
  whose HIV codes differ from ICD-10-CM: B20-B23 name HIV disease *resulting in* another condition, so
  B20.0 (HIV disease resulting in mycobacterial infection, where WHO files HIV with tuberculosis) establishes
  both HIV and tuberculosis. Codes match their children, as in ICD-10-CM. Source: WHO ICD-10 2016 as listed
  in WHO's ICD-10/ICD-11 mapping tables.

  Scenario Outline: HIV in WHO ICD-10, a very low CD4 count and ART ordered
    Given a male patient aged 40
    And the patient has HIV disease, coded <system> "<code>"
    And a CD4 count of 42 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires

    Examples:
      | system     | code |
      | ICD-10-CM  | B20  |
      | WHO ICD-10 | B24  |
      | WHO ICD-10 | Z21  |

  Scenario: HIV disease resulting in tuberculosis, a month after ART started
    Given a female patient aged 45
    And the patient started dolutegravir 30 days ago
    And the patient has HIV disease with tuberculosis, coded WHO ICD-10 "B20.0" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario: The same patient in ICD-10-CM needs two codes
    Given a female patient aged 45
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario: ART ordered ten days after cryptococcal meningitis, in WHO ICD-10
    Given a male patient aged 33
    And the patient has HIV disease, coded WHO ICD-10 "B24"
    And a CD4 count of 25 cells/µL 10 days ago
    And the patient has cryptococcal meningitis, coded WHO ICD-10 "B45.1" diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires

  Scenario Outline: Pregnancy in WHO ICD-10, and thalidomide is ordered
    Given a female patient aged 29
    And the patient has <condition>, coded <system> "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires

    Examples:
      | condition                             | system     | code   |
      | supervision of normal first pregnancy | ICD-10-CM  | Z34.01 |
      | pregnant state, incidental            | WHO ICD-10 | Z33    |
      | supervision of normal pregnancy       | WHO ICD-10 | Z34.0  |
      | gestational diabetes                  | WHO ICD-10 | O24.4  |

  Scenario: A spontaneous delivery is not an ongoing pregnancy
    Given a female patient aged 29
    And the patient has spontaneous vertex delivery, coded WHO ICD-10 "O80.0"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And the "thalidomide-teratogenicity" alert fires
