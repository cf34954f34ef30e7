Feature: Venous thromboembolism with thalidomide-class drugs
  Topic code "thalidomide-vte" (warning).

  Thalidomide-class drugs raise the risk of deep-vein thrombosis and pulmonary embolism, and much more so
  with dexamethasone or another corticosteroid (22.5% vs 4.9% in myeloma). The alert fires when
  thalidomide, lenalidomide or pomalidomide is being ordered, taken or proposed by a rule, and the
  patient is taking or being ordered a systemic corticosteroid, or has a history of venous
  thromboembolism (whatever its current status).

  Sources: THALOMID prescribing information, boxed warning (venous thromboembolism).

  Background:
    Given a male patient aged 68

  Scenario: Thalidomide with dexamethasone
    Given the patient is taking dexamethasone
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires
    And the "thalidomide-vte" alert is warning
    And the "thalidomide-vte" alert explains "Systemic corticosteroid taken or being ordered"
    And the "thalidomide-vte" alert explains "dexamethasone"

  Scenario: Lenalidomide and prednisone ordered together
    Given lenalidomide is being ordered
    And prednisone is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires

  Scenario Outline: A past venous thromboembolism
    Given the patient had <event> (<code>)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires
    And the "thalidomide-vte" alert explains "History of venous thromboembolism"

    Examples:
      | event                                          | code    |
      | pulmonary embolism                             | I26.99  |
      | chronic deep vein thrombosis of the lower limb | I82.509 |
      | personal history of pulmonary embolism         | Z86.711 |
      | personal history of other venous thrombosis    | Z86.718 |
      | thrombophlebitis of the femoral vein           | I80.11  |
      | phlebitis of deep vessels of the lower limb    | I80.209 |
      | deep vein thrombosis of the right arm          | I82.621 |

  Scenario Outline: A past venous thromboembolism coded in SNOMED CT
    Given the patient had <event>, coded SNOMED CT "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires

    Examples:
      | event                            | code      |
      | pulmonary thromboembolism        | 233935004 |
      | thromboembolism of a vein        | 429098002 |
      | deep thrombophlebitis            | 16750002  |
      | thrombophlebitis of femoral vein | 195410000 |
      | pulmonary thrombosis             | 69357003  |

  Scenario: A corticosteroid that has been stopped
    Given the patient stopped prednisone 10 days ago after 14 days of treatment
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert does not fire
    And the "thalidomide-teratogenicity" alert fires

  Scenario: Dexamethasone without a thalidomide-class drug
    Given the patient is taking dexamethasone
    And the patient had pulmonary embolism (I26.99)
    When the rules are evaluated
    Then no alert fires

  Scenario: Thalidomide proposed for steroid-dependent IRIS while prednisone continues
    Given the patient has HIV
    And the patient started dolutegravir 70 days ago
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 50 days ago
    And the patient has taken prednisone for 40 days
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And the "thalidomide-vte" alert fires
    And the "thalidomide-vte" alert follows from the "iris-steroid-refractory" alert

  Scenario: The card states the comparator of the trial figures
    Given the patient is taking dexamethasone
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert explains "22.5% of patients on thalidomide with dexamethasone had a VTE, against 4.9% on dexamethasone alone"

  Scenario: Betamethasone tablets are a systemic corticosteroid
    Given the patient is taking betamethasone 0.5 mg tablets
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires
