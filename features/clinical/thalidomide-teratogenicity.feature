Feature: Thalidomide-class drugs cause birth defects
  Topic code "thalidomide-teratogenicity": critical for a patient who could become pregnant, otherwise
  warning.

  Whenever thalidomide, lenalidomide or pomalidomide is being ordered, is being taken, or is proposed by
  another rule (IRIS, POEMS syndrome, refractory pain), this alert reminds the prescriber of the REMS
  programme: pregnancy tests and two methods of contraception for patients who could become pregnant,
  condoms for men, and no blood or sperm donation. A patient is taken to have reproductive potential when
  female and aged 12 to 55, or when sex or age is unknown, unless a hysterectomy or menopause is recorded
  or the clinician has assessed otherwise. Past 55 with none of these documented the alert stays a warning,
  but instead of stating that there is no reproductive potential it asks for the reproductive status to be
  documented (the REMS itself sets no upper age limit).

  Sources: Brunel et al., AIDS 2012 (history of thalidomide birth defects); Goli, Curr Pain Headache Rep
  2007 (toxicity limits its use); THALOMID prescribing information, boxed warning and REMS.

  Scenario: Thalidomide ordered for a woman of 34
    Given a female patient aged 34
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert fires
    And the "thalidomide-teratogenicity" alert is critical
    And the "thalidomide-teratogenicity" alert explains "Two negative pregnancy tests"
    And the "thalidomide-teratogenicity" alert explains "Reproductive potential: yes"

  Scenario: Thalidomide ordered for a man of 70
    Given a male patient aged 70
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning
    And the "thalidomide-teratogenicity" alert explains "even after a vasectomy"

  Scenario: Sex and age unknown: reproductive potential is assumed
    Given a patient
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is critical

  Scenario Outline: Reproductive potential by sex and age
    Given a <sex> patient aged <age>
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is <indicator>

    Examples:
      | sex    | age | indicator |
      | female | 11  | warning   |
      | female | 12  | critical  |
      | female | 34  | critical  |
      | female | 55  | critical  |
      | female | 56  | warning   |
      | female | 60  | warning   |
      | male   | 34  | warning   |

  Scenario Outline: A woman of 34 without reproductive potential on record
    Given a female patient aged 34
    And the patient had <condition> (<code>)
    And lenalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning

    Examples:
      | condition                                        | code    |
      | acquired absence of both cervix and uterus       | Z90.710 |
      | acquired absence of uterus with remaining cervix | Z90.711 |
      | menopausal state                                 | Z78.0   |

  Scenario: The clinician has assessed that the patient cannot become pregnant
    Given a female patient aged 34
    And the clinician assessed the patient as having no reproductive potential
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning

  Scenario: A woman of 60 with nothing documented: the card asks for her reproductive status
    Given a female patient aged 60
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning
    And the "thalidomide-teratogenicity" alert explains "Reproductive status not documented past the usual reproductive age"
    And the "thalidomide-teratogenicity" alert explains "record menopause, hysterectomy or bilateral oophorectomy, or assess reproductive potential"
    And the "thalidomide-teratogenicity" alert does not explain "Reproductive potential: no"
    And the "thalidomide-teratogenicity" alert explains "Pregnancy recorded (a current pregnancy diagnosis or a 'pregnant' status): no"
    And the "thalidomide-teratogenicity" alert does not explain "Pregnant: no"

  Scenario: A woman of 60 with a documented menopause: no reproductive potential, nothing to ask
    Given a female patient aged 60
    And the patient had menopausal state (Z78.0)
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning
    And the "thalidomide-teratogenicity" alert explains "Reproductive potential: no"
    And the "thalidomide-teratogenicity" alert does not explain "Reproductive status not documented"

  Scenario: Sex unknown at 60: the card asks for the reproductive status
    Given a patient aged 60
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is warning
    And the "thalidomide-teratogenicity" alert explains "Reproductive status not documented"

  Scenario: The clinician has assessed that a woman of 58 can still become pregnant
    Given a female patient aged 58
    And the clinician assessed the patient as having reproductive potential
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is critical

  Scenario Outline: Every drug of the class, ordered or taken
    Given a male patient aged 66
    And <medication record>
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert fires

    Examples:
      | medication record                         |
      | thalidomide is being ordered              |
      | lenalidomide is being ordered             |
      | pomalidomide is being ordered             |
      | the patient started thalidomide 30 days ago  |
      | the patient started lenalidomide 90 days ago |
      | the patient is taking pomalidomide        |

  Scenario Outline: A brand's tablets and capsules, ordered by their RxNorm code alone
    Given a male patient aged 66
    And <brand>, coded RxNorm "<code>", is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert fires

    Examples: the dose-form groups of the CDS Hooks sandbox medication list
      | brand           | code    |
      | Thalomid pills  | 1184930 |
      | Revlimid pills  | 1182529 |
      | Pomalyst pills  | 1369723 |

  Scenario: A thalidomide course that has ended
    Given a female patient aged 30
    And the patient stopped thalidomide 10 days ago after 60 days of treatment
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert does not fire

  Scenario: An order whose record ends before it starts still counts, without that end
    Given a female patient aged 34
    And thalidomide is being ordered, recorded as ending 31 days ago
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is critical
    And a note says "medications.0.end: ends before it starts"

  Scenario: No thalidomide-class drug
    Given a female patient aged 30
    And the patient started prednisone 10 days ago
    When the rules are evaluated
    Then no alert fires

  Scenario: The card leads with the prescribing information and the REMS, linked
    Given a female patient aged 34
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert cites "thalomid-label" first
    And the "thalidomide-teratogenicity" alert links to "dailymed.nlm.nih.gov"
    And the "thalidomide-teratogenicity" alert links to "accessdata.fda.gov/scripts/cder/rems"

  Scenario: An eGFR in a unit that cannot be converted is left out, and the warning still fires
    Given a female patient aged 32
    And the patient has a condition recorded as "POEMS syndrome"
    And an eGFR of 25, printed as "mL/min", 12 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert is critical
    And a note says "unit 'mL/min' cannot be converted for egfr; left out"
