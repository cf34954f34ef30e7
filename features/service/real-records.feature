Feature: Records coded the way real EHRs code them, posted over CDS Hooks
  A US Core problem list codes a pregnancy in SNOMED CT; an OpenMRS record codes HIV, the CD4 count and the
  antiretroviral by CIEL concept and prints the unit as the laboratory does; a WHO programme record codes HIV in
  WHO ICD-10, tuberculosis in ICD-11, and sends the CD4 count inside a lymphocyte panel. Each gets the alerts
  the catalogue gives the same patient in any other coding. A medication coded only in a local system is not
  silently passed over: the clinician is told which system could not be read.

  Background:
    Given the clinrules service is running

  Scenario Outline: A pregnant woman on a US Core problem list is prescribed thalidomide coded only by ATC
    Given the EHR prepares the CDS Hooks request "us-core-order-sign-thalidomide-snomed-pregnancy"
    And the record codes Condition "problem-pregnancy" instead as SNOMED CT "<pregnancy>"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the cards are, in order: thalidomide-pregnancy, thalidomide-teratogenicity
    And the "thalidomide-pregnancy" card is critical
    And the "thalidomide-teratogenicity" card is critical
    And the "thalidomide-pregnancy" card suggests deleting "MedicationRequest/thal-atc-only"
    And every card follows the CDS Hooks specification

    Examples: pregnancy as US Core (77386006) and Synthea (72892002) code it
      | pregnancy |
      | 77386006  |
      | 72892002  |

  Scenario: The same order, with the pregnancy in the old ICD-10-CM coding
    Given the EHR prepares the CDS Hooks request "us-core-order-sign-thalidomide-snomed-pregnancy"
    And the record codes Condition "problem-pregnancy" instead as ICD-10-CM "Z34.01"
    When the EHR calls the "order-sign" service
    Then the cards are, in order: thalidomide-pregnancy, thalidomide-teratogenicity

  Scenario Outline: A pregnancy status answered with LOINC's own answer codes
    Given the EHR prepares the CDS Hooks request "order-sign-thalidomide-pregnant"
    And the record answers Observation "preg" instead as LOINC "<answer>"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the cards are, in order: <cards>

    Examples:
      | answer    | cards                                              |
      | LA15173-0 | thalidomide-pregnancy, thalidomide-teratogenicity |
      | LA26683-5 | thalidomide-teratogenicity                         |

  Scenario: An OpenMRS patient with a CIEL-coded CD4 of 62 cells/mm³ is started on dolutegravir
    Given the EHR prepares the CDS Hooks request "openmrs-order-select-art-ciel"
    When the EHR calls the "order-select" service
    Then the service answers 200
    And the cards are, in order: iris-risk
    And the "iris-risk" card says "62"
    And every card follows the CDS Hooks specification

  Scenario: A WHO programme record: HIV in WHO ICD-10, TB in ICD-11, CD4 42 cells/µL inside a panel, no ART
    Given the EHR prepares the CDS Hooks request "who-programme-patient-view-hiv-tb"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: art-timing-tb
    And every card follows the CDS Hooks specification

  Scenario: The same patient with HIV and TB in one WHO ICD-10 code (B20.0), first ART ordered by ATC
    Given the EHR prepares the CDS Hooks request "who-programme-order-select-art-b20"
    When the EHR calls the "order-select" service
    Then the service answers 200
    And the cards are, in order: iris-risk, art-timing-tb, tb-iris-prophylaxis
    And every card follows the CDS Hooks specification

  Scenario: A WHO SMART HIV record states HIV as an "HIV status" Observation answered HIV-positive
    Given the EHR prepares the CDS Hooks request "who-smart-order-sign-hiv-status"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the cards are, in order: iris-risk
    And the "iris-risk" card says "40"
    And the "iris-risk" card says "HIV-positive status (Observation hiv-status)"
    And every card follows the CDS Hooks specification

  Scenario: The same record with the HIV status answered HIV-negative establishes no HIV
    Given the EHR prepares the CDS Hooks request "who-smart-order-sign-hiv-status"
    And the record answers Observation "hiv-status" instead as http://smart.who.int/hiv/CodeSystem/HIVConcepts "HIV.B.DE117"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And no card is returned

  Scenario: A medication coded only in the hospital's local formulary is reported, never silently passed over
    Given the EHR prepares the CDS Hooks request "local-code-order-sign"
    When the EHR calls the "order-sign" service
    Then the service answers 200
    And the cards are, in order: data-quality
    And the "data-quality" card says "http://st-elsewhere.example.org/fhir/CodeSystem/formulary"

  Scenario: A CD4 panel coded only in a programme's own code system is reported, never silently passed over
    Given the EHR prepares the CDS Hooks request "who-programme-patient-view-hiv-tb"
    And the record codes Observation "lymph-panel" instead as http://example.org/hiv-programme/obs-codes "CD4-RESULT"
    And component 1 of Observation "lymph-panel" is coded instead as SNOMED CT "113056008"
    And component 2 of Observation "lymph-panel" is coded instead as SNOMED CT "313938009"
    When the EHR calls the "patient-view" service
    Then the service answers 200
    And the cards are, in order: art-timing-tb, data-quality
    And the "data-quality" card says "http://example.org/hiv-programme/obs-codes"

  Scenario: The same panel under a programme's own code, its CD4 component coded in LOINC, is read
    Given the EHR prepares the CDS Hooks request "who-programme-patient-view-hiv-tb"
    And the record codes Observation "lymph-panel" instead as http://example.org/hiv-programme/obs-codes "CD4-RESULT"
    When the EHR calls the "patient-view" service
    Then the cards are, in order: art-timing-tb
    And the "art-timing-tb" card says "42"

  Scenario: The same formulary item sent with its ATC code is checked by the rules
    Given the EHR prepares the CDS Hooks request "local-code-order-sign"
    And the record codes MedicationRequest "formulary-item" instead as ATC "L04AX02"
    When the EHR calls the "order-sign" service
    Then the cards are, in order: thalidomide-teratogenicity
    And the "thalidomide-teratogenicity" card is critical

  Scenario Outline: A US Core 8 patient whose sex is only in the individual-sex extension is prescribed thalidomide
    Given the EHR prepares the CDS Hooks request "local-code-order-sign"
    And the record codes MedicationRequest "formulary-item" instead as ATC "L04AX02"
    And the record gives the patient's gender as "<sex>"
    And the record gives the patient's sex only in the US Core individual-sex extension
    When the EHR calls the "order-sign" service
    Then the cards are, in order: thalidomide-teratogenicity
    And the "thalidomide-teratogenicity" card is <indicator>

    Examples: a woman aged 27 can become pregnant; a man cannot
      | sex    | indicator |
      | female | critical  |
      | male   | warning   |
