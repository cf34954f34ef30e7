Feature: Thalidomide-class drugs are contraindicated in pregnancy
  Topic code "thalidomide-pregnancy" (critical).

  A single dose of thalidomide, lenalidomide or pomalidomide in pregnancy can cause severe birth defects
  or fetal death. The alert fires when such a drug is being ordered, is being taken or is proposed by
  another rule, and the patient is pregnant: an active pregnancy diagnosis, or a latest pregnancy status
  in the last 9 months (counted as 280 days) of "pregnant".

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
