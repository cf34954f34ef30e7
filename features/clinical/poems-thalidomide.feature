Feature: Thalidomide for POEMS syndrome when stem-cell transplant is not an option
  Topic code "poems-thalidomide" (info). This rule proposes thalidomide, so the thalidomide safety alerts
  come with it.

  For POEMS syndrome (recognised by its name, "POEMS" or "Crow-Fukase", as it has no confirmed ICD-10-CM
  code) in a patient who is not a candidate for high-dose chemotherapy with stem-cell transplant, the
  alert points to thalidomide, which improved or stabilised all patients of a prospective series; a small
  randomised trial (J-POST, 25 patients, thalidomide or placebo each with dexamethasone) lowered serum
  VEGF, its primary endpoint. The evidence is low to moderate, and the dexamethasone adds to the risk of
  venous thrombosis. Not a transplant candidate means: assessed as such by the clinician, or, unless the
  clinician has assessed the patient as a transplant candidate, aged 65 or over or renal failure (eGFR
  below 30 mL/min/1.73m², CKD stage 4-5, dialysis, or acute kidney failure).

  Sources: Kuwabara et al., J Neurol Neurosurg Psychiatry 2008; Misawa et al. (J-POST), Lancet Neurol 2016.

  Scenario: POEMS syndrome, assessed as not a transplant candidate
    Given a male patient aged 52
    And the patient has a condition recorded as "POEMS syndrome"
    And the clinician assessed the patient as not a transplant candidate
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires
    And the "poems-thalidomide" alert is info
    And the "poems-thalidomide" alert explains "serum VEGF"
    And the alerts are, in order: thalidomide-teratogenicity, poems-thalidomide
    And the "thalidomide-teratogenicity" alert is warning

  Scenario: Crow-Fukase syndrome is the same disease under another name
    Given a female patient aged 70
    And the patient has a condition recorded as "Crow-Fukase syndrome"
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires

  Scenario: POEMS syndrome in a younger patient with good kidney function
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR of 85 mL/min/1.73m2 10 days ago
    When the rules are evaluated
    Then no alert fires

  Scenario: Old age without POEMS syndrome
    Given a male patient aged 80
    And the clinician assessed the patient as not a transplant candidate
    When the rules are evaluated
    Then no alert fires

  Scenario Outline: Aged 65 or over
    Given a male patient aged <age>
    And the patient has a condition recorded as "POEMS syndrome"
    When the rules are evaluated
    Then the "poems-thalidomide" alert <outcome>

    Examples:
      | age | outcome       |
      | 64  | does not fire |
      | 65  | fires         |

  Scenario Outline: eGFR below 30 mL/min/1.73m2
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR of <egfr> mL/min/1.73m2 10 days ago
    When the rules are evaluated
    Then the "poems-thalidomide" alert <outcome>

    Examples:
      | egfr | outcome       |
      | 30   | does not fire |
      | 29.9 | fires         |
      | 12   | fires         |

  Scenario: An eGFR reported above the laboratory's limit is good kidney function
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR above 90 mL/min/1.73m2 10 days ago
    When the rules are evaluated
    Then the "poems-thalidomide" alert does not fire

  Scenario: An eGFR reported above the laboratory's limit is cited as reported
    Given today is 2025-01-10
    And a male patient aged 70
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR above 90 mL/min/1.73m2 10 days ago
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires
    And the "poems-thalidomide" alert explains ">90 mL/min/1.73m² on 2024-12-31"

  Scenario: Only the most recent eGFR counts
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR of 25 mL/min/1.73m2 60 days ago
    And an eGFR of 48 mL/min/1.73m2 5 days ago
    When the rules are evaluated
    Then the "poems-thalidomide" alert does not fire

  Scenario Outline: Renal failure on the problem list
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And the patient has <kidney condition> (<code>)
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires

    Examples:
      | kidney condition            | code  |
      | chronic kidney disease, stage 4 | N18.4 |
      | chronic kidney disease, stage 5 | N18.5 |
      | end stage renal disease     | N18.6 |
      | acute kidney failure        | N17.9 |
      | dependence on renal dialysis | Z99.2 |

  Scenario: Moderate chronic kidney disease is not renal failure
    Given a male patient aged 50
    And the patient has a condition recorded as "POEMS syndrome"
    And the patient has chronic kidney disease, stage 3a (N18.31)
    When the rules are evaluated
    Then the "poems-thalidomide" alert does not fire

  Scenario: Assessed as a transplant candidate at 66: the assessment wins over age
    Given a male patient aged 66
    And the patient has a condition recorded as "POEMS syndrome"
    And the clinician assessed the patient as a transplant candidate
    When the rules are evaluated
    Then no alert fires

  Scenario: Assessed as a transplant candidate with renal failure: the assessment wins
    Given a female patient aged 58
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR of 25 mL/min/1.73m2 7 days ago
    And the clinician assessed the patient as a transplant candidate
    When the rules are evaluated
    Then the "poems-thalidomide" alert does not fire

  Scenario: The card gives the trial's design and the strength of the evidence honestly
    Given a male patient aged 70
    And the patient has a condition recorded as "POEMS syndrome"
    When the rules are evaluated
    Then the "poems-thalidomide" alert explains "25 such patients to thalidomide or placebo, both given together with dexamethasone"
    And the "poems-thalidomide" alert explains "the evidence is low to moderate"
    And the "poems-thalidomide" alert explains "raises the risk of venous thrombosis"
