Feature: Steroid-dependent or steroid-refractory IRIS: thalidomide as salvage
  Topic code "iris-steroid-refractory" (info). This rule proposes thalidomide, so the thalidomide safety
  alerts come with it.

  When IRIS is active (recorded as a diagnosis, D89.3, or suspected by the "iris-suspected" rule) and
  either the clinician has assessed it as steroid-refractory or steroid-dependent, or a systemic
  corticosteroid has been given continuously for 28 days or more while it is still active (counted from the
  later of the course start and the IRIS onset: steroid days before the IRIS do not count), the alert
  mentions thalidomide 100 mg/day as a salvage option used in a French case series of three patients
  (very low evidence), to be discussed with a specialist.

  Sources: Brunel et al., AIDS 2012 (case series, steroid dependence, dose, tolerability, teratogenicity).

  Background:
    Given a male patient aged 42
    And the patient has HIV
    And the patient started dolutegravir 60 days ago

  Scenario: Recorded IRIS assessed as steroid-dependent
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And the "iris-steroid-refractory" alert is info
    And the "iris-steroid-refractory" alert explains "thalidomide 100 mg/day"
    And the "thalidomide-teratogenicity" alert fires

  Scenario: Recorded IRIS assessed as steroid-refractory
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-refractory
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And the "iris-steroid-refractory" alert explains "IRIS assessed as steroid-refractory or steroid-dependent"

  Scenario: IRIS suspected by the rules, not yet recorded, and assessed as steroid-dependent
    Given the patient has cryptococcal meningitis (B45.1) that recurred 30 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-steroid-refractory" alert fires
    And the "iris-steroid-refractory" alert follows from the "iris-suspected" alert

  Scenario Outline: IRIS still active after 28 days of continuous corticosteroid
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the patient has taken prednisone for <days> days
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert <outcome>

    Examples:
      | days | outcome       |
      | 27   | does not fire |
      | 28   | fires         |
      | 35   | fires         |

  Scenario: Two back-to-back corticosteroid prescriptions count as one continuous course
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the patient stopped prednisone 15 days ago after 20 days of treatment
    And the patient started prednisolone 15 days ago
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And the "iris-steroid-refractory" alert explains "Days of continuous systemic corticosteroid: 35"

  Scenario: IRIS that flared when the corticosteroid was stopped, assessed as steroid-dependent
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the patient stopped prednisone 2 days ago after 30 days of treatment
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires

  Scenario: IRIS without any sign of steroid dependence
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 10 days ago
    And the patient started prednisone 10 days ago
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert does not fire
    And the "thalidomide-teratogenicity" alert does not fire

  Scenario: A steroid-dependence assessment without any IRIS
    Given the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then no alert fires

  Scenario: IRIS coded 2 days ago during a 40-day prednisone course for pneumocystis
    Given the patient has pneumocystis pneumonia (B59) diagnosed 70 days ago
    And the patient has taken prednisone for 40 days
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 2 days ago
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert does not fire
    And the "thalidomide-teratogenicity" alert does not fire

  Scenario: Steroid days count from the IRIS onset when the course began before it
    Given the patient has taken prednisone for 40 days
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 28 days ago
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And the "iris-steroid-refractory" alert explains "Days of continuous systemic corticosteroid since IRIS began (from the later of the two): 28"

  Scenario Outline: Steroid days of a recurrence count from when it was recorded, not from its first onset
    Given the patient has herpes zoster (B02.9) that recurred <recurred> days ago, first diagnosed 2300 days ago
    And the patient has taken prednisone for 42 days
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-steroid-refractory" alert <outcome>

    Examples:
      | recurred | outcome       |
      | 12       | does not fire |
      | 27       | does not fire |
      | 28       | fires         |

  Scenario: Betamethasone tablets are a systemic corticosteroid
    Given the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the patient has taken betamethasone 0.5 mg tablets for 30 days
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
