Feature: Problem lists coded in SNOMED CT
  US Core problem lists, and Synthea's synthetic records, code diagnoses in SNOMED CT rather than ICD-10-CM.
  The same patient gets the same alerts whichever code the record carries. Each SNOMED CT code is recognised
  from the published value sets that list it (VSAC, NACHC HIV CDS, CIEL maps); `clinrules terms CODE` shows
  which. A code that names two conditions ("X with HIV", IRIS due to HIV) establishes both.

  Scenario Outline: A pregnancy on the problem list, and thalidomide is ordered
    Given a female patient aged 29
    And the patient has <condition>, coded <system> "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires
    And the "thalidomide-pregnancy" alert is critical

    Examples: the old coding, then SNOMED CT as US Core and Synthea write it
      | condition                             | system    | code     |
      | supervision of normal first pregnancy | ICD-10-CM | Z34.01   |
      | pregnancy                             | SNOMED CT | 77386006 |
      | normal pregnancy                      | SNOMED CT | 72892002 |

  Scenario Outline: Tuberculosis found a month after ART started
    Given a female patient aged 45
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has <condition>, coded <system> "<code>" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

    Examples:
      | condition              | system    | code      |
      | pulmonary tuberculosis | ICD-10-CM | A15.0     |
      | pulmonary tuberculosis | SNOMED CT | 154283005 |

  Scenario: Cryptococcosis with AIDS establishes both HIV and an IRIS-associated infection
    Given a female patient aged 45
    And the patient started dolutegravir 30 days ago
    And the patient has cryptococcosis with AIDS, coded SNOMED CT "421403008" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

  Scenario Outline: ART ordered ten days after cryptococcal meningitis
    Given a male patient aged 33
    And the patient has HIV
    And a CD4 count of 25 cells/µL 10 days ago
    And the patient has cryptococcal meningitis, coded <system> "<code>" diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires

    Examples:
      | system    | code     |
      | ICD-10-CM | B45.1    |
      | SNOMED CT | 14232007 |

  Scenario: IRIS due to HIV, steroid-dependent, with no separate HIV diagnosis
    Given a male patient aged 42
    And the patient started dolutegravir 60 days ago
    And the patient has IRIS due to HIV, coded SNOMED CT "714464009" diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires

  Scenario: The same patient with IRIS and HIV in ICD-10-CM
    Given a male patient aged 42
    And the patient has HIV
    And the patient started dolutegravir 60 days ago
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires

  Scenario Outline: Thalidomide for a patient with polyneuropathy
    Given a female patient aged 62
    And the patient has <condition>, coded <system> "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-neuropathy" alert fires

    Examples:
      | condition                      | system    | code      |
      | polyneuropathy                 | ICD-10-CM | G62.9     |
      | type 2 diabetic polyneuropathy | ICD-10-CM | E11.42    |
      | polyneuropathy with AIDS       | SNOMED CT | 421597001 |
      | type 2 diabetic neuropathy, as Synthea codes it | SNOMED CT | 368581000119106 |
      | peripheral nerve disease, as the WHO HIV data dictionary codes it | SNOMED CT | 302226006 |

  Scenario: A past deep vein thrombosis coded in SNOMED CT
    Given a male patient aged 68
    And the patient had deep venous thrombosis, coded SNOMED CT "128053003"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires

  Scenario Outline: POEMS syndrome with chronic kidney disease stage 4 coded in SNOMED CT, as Synthea writes it
    Given a female patient aged 58
    And the patient has a condition recorded as "POEMS syndrome"
    And the patient has <condition>, coded <system> "<code>"
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires

    Examples:
      | condition                      | system    | code      |
      | chronic kidney disease stage 4 | ICD-10-CM | N18.4     |
      | chronic kidney disease stage 4 | SNOMED CT | 431857002 |
