Feature: Interleukin-2 is not recommended in HIV
  Topic code "il2-not-recommended" (warning).

  Interleukin-2 (aldesleukin) added to antiretroviral therapy raises CD4 counts far more than therapy alone
  in a randomised trial, but two large outcome trials found no fewer opportunistic diseases or deaths and
  more severe adverse events, and guidelines do not recommend it. The alert fires when a patient with HIV
  is ordered or taking IL-2.

  Sources: Lévy et al., AIDS 2003 (CD4 gains); INSIGHT-ESPRIT and SILCAAT, N Engl J Med 2009 (no clinical
  benefit); US DHHS antiretroviral guidelines.

  Scenario: Aldesleukin ordered for a patient with HIV
    Given a male patient aged 44
    And the patient has HIV
    And the patient started dolutegravir 400 days ago
    And aldesleukin is being ordered
    When the rules are evaluated
    Then the "il2-not-recommended" alert fires
    And the "il2-not-recommended" alert is warning
    And the "il2-not-recommended" alert explains "ESPRIT and SILCAAT"
    And only these alerts fire: il2-not-recommended

  Scenario Outline: Interleukin-2 under any of its names, ordered or taken
    Given a female patient aged 39
    And the patient has HIV
    And <medication record>
    When the rules are evaluated
    Then the "il2-not-recommended" alert fires

    Examples:
      | medication record                              |
      | interleukin-2 is being ordered                 |
      | the patient started aldesleukin 10 days ago    |
      | the patient is taking aldesleukin              |

  Scenario: HIV infection recorded as asymptomatic HIV status (Z21)
    Given a male patient aged 44
    And the patient has asymptomatic HIV infection status (Z21)
    And aldesleukin is being ordered
    When the rules are evaluated
    Then the "il2-not-recommended" alert fires

  Scenario: Aldesleukin for melanoma in a patient without HIV
    Given a male patient aged 58
    And the patient has malignant melanoma of skin (C43.9)
    And aldesleukin is being ordered
    When the rules are evaluated
    Then no alert fires

  Scenario: A course of aldesleukin that has ended
    Given a male patient aged 44
    And the patient has HIV
    And the patient stopped aldesleukin 100 days ago after 5 days of treatment
    When the rules are evaluated
    Then the "il2-not-recommended" alert does not fire
