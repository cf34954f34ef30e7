Feature: Thalidomide-class drugs are contraindicated in pregnancy
  Topic code "thalidomide-pregnancy" (critical).

  A single dose of thalidomide, lenalidomide or pomalidomide in pregnancy can cause severe birth defects
  or fetal death. The alert fires when such a drug is being ordered, is being taken, is proposed by
  another rule, or was stopped in the last 28 days (the REMS covers 4 weeks after the last dose; a stopped
  drug whose record gives neither an end date nor a supply may have been taken for 90 days after its
  start), and the patient is pregnant. The latest pregnancy evidence decides: an active pregnancy diagnosis recorded in
  the last 300 days, or a pregnancy status of the last 280 days (9 months counted as 40 weeks). A later
  "not pregnant" status, or a delivery recorded after it, ends the pregnancy; an older pregnancy
  diagnosis with nothing later is out of date. Windows count whole calendar days, whatever the hour.

  Sources: THALOMID prescribing information, boxed warning (embryo-fetal toxicity) and REMS.

  Background:
    Given a female patient aged 29

  Scenario: A pregnant patient is being ordered thalidomide
    Given the patient is pregnant
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires
    And the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert explains "cancel any draft order"
    And the "thalidomide-teratogenicity" alert is critical

  Scenario: A pregnant patient already taking lenalidomide
    Given the patient has supervision of normal first pregnancy (Z34.01) diagnosed 70 days ago
    And the patient started lenalidomide 100 days ago
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert explains "Z34.01"

  Scenario: Thalidomide proposed by a rule for a pregnant patient
    Given the patient is pregnant
    And the patient has a condition recorded as "POEMS syndrome"
    And the clinician assessed the patient as not a transplant candidate
    When the rules are evaluated
    Then the "poems-thalidomide" alert fires
    And the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert follows from the "poems-thalidomide" alert

  Scenario: The latest pregnancy test is negative
    Given a pregnancy test 40 days ago was positive
    And a pregnancy test 2 days ago was negative
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And the "thalidomide-teratogenicity" alert is critical

  Scenario: Pregnant, but no thalidomide-class drug
    Given the patient is pregnant
    When the rules are evaluated
    Then no alert fires

  Scenario Outline: A pregnancy status counts for 280 days
    Given a pregnancy test <days> days ago was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 280  | fires         |
      | 281  | does not fire |

  Scenario Outline: A pregnancy test dated without a time counts for 280 days, whatever the hour
    Given today is 2026-06-01T12:00Z
    And a pregnancy test <days> days ago, dated without a time, was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 280  | fires         |
      | 281  | does not fire |

  Scenario Outline: Pregnant within 4 weeks of the last thalidomide dose
    Given the patient stopped thalidomide <days> days ago after 60 days of treatment
    And the patient is pregnant
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 8    | fires         |
      | 28   | fires         |
      | 29   | does not fire |

  Scenario Outline: The 4 weeks count in the clinic's calendar days, also in the evening west of UTC
    Given today is 2026-06-01T19:30:00-05:00
    And the record's entries are timed at 10:00 local time
    And a female patient aged 36
    And a pregnancy test 2 days ago was positive
    And the patient stopped thalidomide <days> days ago after 60 days of treatment
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 28   | is critical   |
      | 29   | does not fire |

  Scenario: A negative test in the evening is on the day before a positive one dated the next morning
    Given today is 2026-06-03T12:00:00-05:00
    And the record's entries are timed at 21:00 local time
    And a female patient aged 36
    And a pregnancy test 2 days ago was negative
    And a pregnancy test 1 day ago, dated without a time, was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

  Scenario Outline: A stopped drug with no end date or supply may have been taken for 90 days
    Given the patient has stopped thalidomide started <started> days ago, with no end date or supply recorded
    And the patient is pregnant
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | started | outcome       |
      | 61      | fires         |
      | 118     | fires         |
      | 119     | does not fire |

  Scenario Outline: A stopped drug whose record ends before it starts is read as having no end date
    Given thalidomide was stopped, started <started> days ago, recorded as ending 140 days ago
    And the patient is pregnant
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>
    And a note says "the end is not used"

    Examples:
      | started | outcome       |
      | 9       | fires         |
      | 118     | fires         |
      | 119     | does not fire |

  Scenario: The exposure after the last dose is named on the card
    Given the patient stopped lenalidomide 8 days ago after 21 days of treatment
    And the patient is pregnant
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical
    And the "thalidomide-pregnancy" alert explains "Days since the last dose of a stopped thalidomide, lenalidomide or pomalidomide: 8"
    And the "thalidomide-teratogenicity" alert does not fire

  Scenario: A delivery followed by a negative pregnancy test ends the pregnancy
    Given the patient has supervision of normal pregnancy (Z34.90) diagnosed 250 days ago
    And the patient has encounter for full-term uncomplicated delivery (O80) diagnosed 20 days ago
    And a pregnancy test 5 days ago was negative
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And the "thalidomide-teratogenicity" alert is critical

  Scenario: A delivery recorded after the pregnancy ends it
    Given the patient has supervision of normal pregnancy (Z34.90) diagnosed 250 days ago
    And the patient has single live birth (Z37.0) diagnosed 10 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire

  Scenario: A new pregnancy after an earlier delivery counts
    Given the patient has single live birth (Z37.0) diagnosed 400 days ago
    And a pregnancy test 5 days ago was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

  Scenario: A pregnancy diagnosis from 2023 with nothing later is out of date
    Given today is 2026-06-01
    And the patient has supervision of normal pregnancy (Z34.90) diagnosed 900 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And the "thalidomide-teratogenicity" alert is critical

  Scenario Outline: A pregnancy diagnosis counts for 300 days
    Given the patient has supervision of normal pregnancy (Z34.90) diagnosed <days> days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 300  | fires         |
      | 301  | does not fire |

  Scenario Outline: A record that is no delivery of this pregnancy does not end it
    Given the patient has supervision of normal pregnancy (Z34.90) diagnosed 40 days ago
    And the patient has <record>, coded <system> "<code>" diagnosed 10 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

    Examples: an earlier pregnancy's delivery, and labour without a delivery
      | record                                          | system        | code              |
      | a history of a previous forceps delivery        | SNOMED CT     | 161813007         |
      | a history of a previous vacuum delivery         | SNOMED CT     | 726624001         |
      | forceps, in the mother's history                | WHO SMART HIV | HIV.E.DE26        |
      | vacuum delivery, in the mother's history        | WHO SMART HIV | HIV.E.DE33        |
      | preterm labour without delivery                 | SNOMED CT     | 10761341000119105 |
      | spontaneous onset of labour, caesarean planned  | SNOMED CT     | 10751701000119102 |

  Scenario Outline: A breastfeeding record after the pregnancy does not end it
    Given today is 2026-06-01
    And the patient has supervision of normal pregnancy (Z34.00) diagnosed 31 days ago
    And the patient has <record>, coded <system> "<code>" diagnosed 12 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

    Examples: a lactating mother may be pregnant again; breastfeeding dates no delivery
      | record                                     | system        | code        |
      | care or examination of a lactating mother  | ICD-11        | QA48.1      |
      | care and examination of a lactating mother | ICD-10-CM     | Z39.1       |
      | care and examination of a lactating mother | WHO ICD-10    | Z39.1       |
      | breastfeeding                              | WHO SMART HIV | HIV.D.DE32  |

  Scenario: A pregnancy coded in ICD-11
    Given the patient has pregnant state, coded ICD-11 "QA41" diagnosed 30 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert is critical

  Scenario: A delivery coded in ICD-11 after the pregnancy ends it
    Given the patient has pregnant state, coded ICD-11 "QA41" diagnosed 250 days ago
    And the patient has a spontaneous vertex delivery, coded ICD-11 "JB20.0" diagnosed 10 days ago
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire

  Scenario Outline: A pregnancy diagnosis dated without a time counts for 300 days, whatever the hour
    Given today is 2026-06-01T12:00Z
    And the patient has supervision of normal pregnancy (Z34.90) diagnosed <days> days ago, dated without a time
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert <outcome>

    Examples:
      | days | outcome       |
      | 300  | fires         |
      | 301  | does not fire |

  Scenario: A pregnancy test dated today without a time counts east of UTC, where today began earlier
    Given today is 2026-06-11T09:30:00+10:00
    And a pregnancy test today, dated without a time, was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires

  Scenario: A pregnancy test stamped a few minutes after the evaluation time counts (clock skew)
    Given a pregnancy test stamped 3 minutes after the evaluation time was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires

  Scenario: A pregnancy test dated well after the evaluation time is not used, and a note says so
    Given a pregnancy test stamped 60 minutes after the evaluation time was positive
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And a note says "pregnancy-status pregnant of 2026-06-01T13:00:00+00:00: dated after the evaluation time; not used"
