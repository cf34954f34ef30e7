Feature: Risk of IRIS when antiretroviral therapy starts with a low CD4 count
  Topic code "iris-risk" (warning).

  A person with HIV who starts antiretroviral therapy (ART) with a very low CD4 count is the most likely
  to develop an immune reconstitution inflammatory syndrome (IRIS), usually within the first two to three
  months. The alert fires when the patient has HIV, ART started in the last 90 days or is being ordered
  now, and the baseline CD4 count is below 100 cells/µL. The baseline is the most recent CD4 count on or
  before the day ART started, taken no more than 180 days before it.

  Sources: AIDS InfoNet fact sheet 483 (risk, timing, incidence); Müller et al., Lancet Infect Dis 2010
  (incidence, highest below 50 cells/µL); INSHI case definitions, Lancet Infect Dis 2008 (3-month window).

  Background:
    Given a male patient aged 40

  Scenario: ART is being ordered for a patient with a very low CD4 count
    Given a CD4 count of 42 cells/µL 3 days ago
    And the patient has HIV
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert is warning
    And the "iris-risk" alert explains "Baseline CD4 count"
    And the "iris-risk" alert explains "42 cells/µL"

  Scenario: A CD4 count reported in 10*9/L is converted before it is compared
    Given a CD4 count of 0.045 10*9/L 3 days ago
    And the patient has HIV
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "45 cells/µL"

  Scenario: ART started a month ago after a low CD4 count
    Given a CD4 count of 60 cells/µL 35 days ago
    And the patient has HIV
    And the patient started tenofovir 30 days ago
    And the patient started dolutegravir 30 days ago
    When the rules are evaluated
    Then the "iris-risk" alert fires

  Scenario: Days are counted back from the evaluation date
    Given today is 2025-01-10
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago
    And the patient started dolutegravir today
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "42 cells/µL (below 100 cells/µL) — on 2025-01-07"
    And the "iris-risk" alert explains "current course started 2025-01-10"
    And the "iris-risk" alert shows "Days on the current course of antiretroviral therapy" once

  Scenario: A CD4 count reported below the laboratory's limit is cited as reported
    Given today is 2025-01-10
    And the patient has HIV
    And a CD4 count below 50 cells/µL 3 days ago
    And the patient started dolutegravir today
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "(last before ART start, within 180 days): <50 cells/µL (below 100 cells/µL) — on 2025-01-07"

  Scenario: A low CD4 count measured after ART started is not the baseline
    Given a CD4 count of 300 cells/µL 70 days ago
    And the patient has HIV
    And the patient started dolutegravir 60 days ago
    And a CD4 count of 40 cells/µL 30 days ago
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario: A CD4 count taken more than 180 days before ART is too old to be the baseline
    Given a CD4 count of 30 cells/µL 200 days ago
    And the patient has HIV
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario: No CD4 count on record
    Given dolutegravir is being ordered
    And the patient has HIV
    When the rules are evaluated
    Then no alert fires

  Scenario: The CD4 count is low but no ART is started or ordered
    Given a CD4 count of 30 cells/µL 3 days ago
    And the patient has HIV
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario Outline: The baseline CD4 count must be strictly below 100 cells/µL
    Given a CD4 count of <cd4> cells/µL 5 days ago
    And the patient has HIV
    And efavirenz is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert <outcome>

    Examples:
      | cd4 | outcome       |
      | 20  | fires         |
      | 99  | fires         |
      | 100 | does not fire |
      | 250 | does not fire |

  Scenario Outline: The alert lasts 90 days from the start of ART
    Given a CD4 count of 60 cells/µL <cd4 days> days ago
    And the patient has HIV
    And the patient started dolutegravir <art days> days ago
    When the rules are evaluated
    Then the "iris-risk" alert <outcome>

    Examples:
      | art days | cd4 days | outcome       |
      | 0        | 2        | fires         |
      | 90       | 95       | fires         |
      | 91       | 96       | does not fire |

  Scenario Outline: The 90 days count in the clinic's calendar days, also in the evening west of UTC
    Given today is 2026-06-01T21:00:00-05:00
    And the record's entries are timed at 09:00 local time
    And a CD4 count of 60 cells/µL <cd4 days> days ago
    And the patient has HIV
    And the patient started dolutegravir <art days> days ago
    When the rules are evaluated
    Then the "iris-risk" alert <outcome>

    Examples:
      | art days | cd4 days | outcome       |
      | 90       | 95       | fires         |
      | 91       | 96       | does not fire |

  Scenario: A refill or switch 730 days into a course is not starting ART
    Given a CD4 count of 40 cells/µL 740 days ago
    And the patient has HIV
    And the patient started efavirenz 730 days ago
    And a CD4 count of 600 cells/µL 10 days ago
    And a viral load below 20 copies/mL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then no alert fires

  Scenario: Restarting ART after an interruption is starting ART
    Given the patient stopped efavirenz 200 days ago after 300 days of treatment
    And the patient has HIV
    And a CD4 count of 45 cells/µL 5 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "45 cells/µL"

  Scenario: Renewals recorded as completed do not make a three-year course look new
    Given a CD4 count of 40 cells/µL 1060 days ago
    And the patient has HIV
    And efavirenz was renewed every 90 days for 1051 days, earlier renewals marked completed
    And a CD4 count of 80 cells/µL 100 days ago
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario: A prescription that follows within the previous one's supply continues the course
    Given a CD4 count of 40 cells/µL 110 days ago
    And the patient has HIV
    And the patient completed a 30-day supply of efavirenz started 100 days ago
    And the patient started efavirenz 70 days ago
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario: A prescription that starts after the previous supply ran out starts a new course
    Given a CD4 count of 40 cells/µL 50 days ago
    And the patient has HIV
    And the patient completed a 30-day supply of efavirenz started 100 days ago
    And the patient started efavirenz 45 days ago
    When the rules are evaluated
    Then the "iris-risk" alert fires

  Scenario: Nirmatrelvir/ritonavir is not antiretroviral therapy
    Given a CD4 count of 30 cells/µL 5 days ago
    And the patient has HIV
    And nirmatrelvir/ritonavir is being ordered
    When the rules are evaluated
    Then no alert fires

  Scenario: A booster alone is not antiretroviral therapy
    Given a CD4 count of 30 cells/µL 5 days ago
    And the patient has HIV
    And ritonavir 100 mg tablet is being ordered
    When the rules are evaluated
    Then no alert fires

  Scenario: A boosted antiretroviral is antiretroviral therapy
    Given a CD4 count of 30 cells/µL 5 days ago
    And the patient has HIV
    And darunavir/cobicistat is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires

  Scenario: A detectable viral load establishes HIV when the problem list lacks the diagnosis
    Given a viral load of 85000 copies/mL 5 days ago
    And a CD4 count of 40 cells/µL 5 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "HIV-1 RNA 85000 copies/mL"

  Scenario: A viral load below the assay's limit does not establish HIV
    Given a viral load below 20 copies/mL 5 days ago
    And a CD4 count of 40 cells/µL 5 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then no alert fires

  Scenario Outline: Of two CD4 counts at the same moment the lower is the baseline, whatever the order
    Given the patient has HIV
    And a CD4 count of <first> cells/µL 3 days ago
    And a CD4 count of <second> cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "42 cells/µL (below 100 cells/µL)"

    Examples:
      | first | second |
      | 42    | 150    |
      | 150   | 42     |

  Scenario: A CD4 count reported as at most 100 cells/µL may be below 100
    Given the patient has HIV
    And a CD4 count at most 100 cells/µL 3 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "iris-risk" alert explains "<=100 cells/µL (below 100 cells/µL)"
