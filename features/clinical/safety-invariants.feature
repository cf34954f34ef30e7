Feature: Safety invariants of the thalidomide alerts
  Whatever raises thalidomide, lenalidomide or pomalidomide (a rule that suggests it, or an order), the
  birth-defect warning ("thalidomide-teratogenicity") comes with it, critical for a patient who could
  become pregnant; and a pregnant patient always gets the critical contraindication
  ("thalidomide-pregnancy"), also when the drug was stopped in the last 4 weeks (the REMS exposure window). The suggesting rules assert a "thalidomide proposed" conclusion that the
  safety rules match (rule chaining), so a new suggesting rule cannot forget the safety cards.

  Sources: THALOMID prescribing information (boxed warning, REMS); Brunel et al., AIDS 2012; Goli, Curr
  Pain Headache Rep 2007.

  Scenario: Thalidomide proposed for steroid-dependent IRIS
    Given a male patient aged 40
    And the patient has HIV
    And the patient started dolutegravir 60 days ago
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 45 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert fires
    And every thalidomide proposal comes with the teratogenicity warning
    And the "thalidomide-teratogenicity" alert fires

  Scenario: Thalidomide proposed for POEMS syndrome
    Given a male patient aged 70
    And the patient has a condition recorded as "POEMS syndrome"
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires
    And every thalidomide proposal comes with the teratogenicity warning
    And the "thalidomide-teratogenicity" alert fires

  Scenario: Thalidomide proposed for refractory pain
    Given a male patient aged 55
    And the patient has chronic pain syndrome, intractable (G89.4)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert fires
    And every thalidomide proposal comes with the teratogenicity warning
    And the "thalidomide-teratogenicity" alert fires

  Scenario Outline: Every thalidomide-class drug, ordered or taken
    Given a male patient aged 60
    And <medication record>
    When the rules are evaluated
    Then every thalidomide proposal comes with the teratogenicity warning
    And the "thalidomide-teratogenicity" alert fires

    Examples:
      | medication record                           |
      | thalidomide is being ordered                |
      | lenalidomide is being ordered               |
      | pomalidomide is being ordered               |
      | the patient started thalidomide 14 days ago |
      | the patient started lenalidomide 14 days ago |
      | the patient started pomalidomide 14 days ago |
      | Thalidomide 50 mg capsule is being ordered  |

  Scenario Outline: Pregnancy with a thalidomide-class drug ordered or taken is critical
    Given a female patient aged 30
    And the patient is pregnant
    And <medication record>
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-teratogenicity" alert is critical

    Examples:
      | medication record                            |
      | thalidomide is being ordered                 |
      | the patient started lenalidomide 30 days ago |
      | pomalidomide is being ordered                |

  Scenario: Pregnancy with thalidomide proposed for refractory pain is critical
    Given a female patient aged 30
    And the patient is pregnant
    And the patient has chronic pain syndrome, intractable (G89.4)
    And the clinician assessed the pain as refractory to standard therapy
    When the rules are evaluated
    Then the "pain-thalidomide" alert fires
    And the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert follows from the "pain-thalidomide" alert

  Scenario: Pregnancy with thalidomide proposed for steroid-dependent IRIS is critical
    Given a female patient aged 30
    And the patient has HIV
    And the patient started dolutegravir 50 days ago
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-refractory
    And a pregnancy test 3 days ago was positive
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert follows from the "iris-steroid-refractory" alert

  Scenario: Pregnancy with thalidomide proposed for POEMS syndrome is critical
    Given a female patient aged 30
    And the patient has supervision of high risk pregnancy (O09.90) diagnosed 60 days ago
    And the patient has a condition recorded as "POEMS syndrome"
    And the clinician assessed the patient as not a transplant candidate
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert follows from the "poems-thalidomide" alert

  Scenario Outline: Teratogenicity is critical only for a patient who could become pregnant
    Given a <sex> patient aged <age>
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is <indicator>

    Examples:
      | sex    | age | indicator |
      | female | 34  | critical  |
      | male   | 34  | warning   |
      | female | 60  | warning   |

  Scenario: Rule chaining, step by step: from a new infection on ART to the thalidomide safety cards
    # iris-suspected concludes that IRIS is suspected; iris-steroid-refractory builds on that conclusion
    # and on 28 days of prednisone, and proposes thalidomide; the safety rules build on that proposal.
    Given a female patient aged 28
    And the patient has HIV
    And a CD4 count of 35 cells/µL 70 days ago
    And the patient started dolutegravir 60 days ago
    And the patient started tenofovir 60 days ago
    And the patient has cryptococcal meningitis (B45.1) that recurred 40 days ago
    And the patient has taken prednisone for 30 days
    When the rules are evaluated
    Then the "iris-suspected" alert fires
    And the "iris-steroid-refractory" alert follows from the "iris-suspected" alert
    And the "thalidomide-teratogenicity" alert follows from the "iris-steroid-refractory" alert
    And the "thalidomide-vte" alert follows from the "iris-steroid-refractory" alert
    And the "thalidomide-teratogenicity" alert explains "Thalidomide proposed (by rule iris-steroid-refractory)"
    And the alerts are, in order: thalidomide-teratogenicity, iris-risk, iris-suspected, thalidomide-vte, iris-steroid-refractory
    And every thalidomide proposal comes with the teratogenicity warning

  Scenario: No thalidomide anywhere: no thalidomide alert
    Given a female patient aged 30
    And the patient has HIV
    And the patient started dolutegravir 200 days ago
    When the rules are evaluated
    Then no alert fires
    And every thalidomide proposal comes with the teratogenicity warning

  Scenario Outline: Pregnancy within 4 weeks of the last dose of any thalidomide-class drug is critical
    Given a female patient aged 30
    And the patient stopped <drug> 20 days ago after 90 days of treatment
    And a pregnancy test today was positive
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And only these alerts fire: thalidomide-pregnancy

    Examples:
      | drug         |
      | thalidomide  |
      | lenalidomide |
      | pomalidomide |
