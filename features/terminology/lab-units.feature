Feature: Laboratory results in the units laboratories print
  A CD4 count may be printed as cells/µL, cells/mm³, /µL or 10^9/L; a viral load as copies/mL or copies/ml.
  Each accepted spelling is listed with its conversion factor in rules/valuesets.yaml; a unit not listed is
  left out and reported, never guessed.

  Background:
    Given a male patient aged 40
    And the patient has HIV
    And dolutegravir is being ordered

  Scenario Outline: A very low CD4 count in the unit the laboratory printed
    Given a CD4 count of <value>, printed as "<unit>", 3 days ago
    When the rules are evaluated
    Then the "iris-risk" alert fires

    Examples:
      | value | unit      |
      | 42    | cells/uL  |
      | 42    | cells/µL  |
      | 42    | cells/μL  |
      | 42    | cells/mm³ |
      | 42    | cells/mm3 |
      | 42    | /µL       |
      | 0.042 | 10^9/L    |
      | 0.042 | x10^9/L   |
      | 42    | cells/µl  |
      | 42    | Cells/uL  |
      | 42    | cells/mcL |
      | 42    | cells/cu mm |
      | 0.042 | x10^9/l   |

  Scenario Outline: A CD4 count above the risk threshold, in a printed unit
    Given a CD4 count of <value>, printed as "<unit>", 3 days ago
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

    Examples:
      | value | unit      |
      | 420   | cells/mm³ |
      | 0.42  | 10^9/L    |
