Feature: Defer antiretroviral therapy after cryptococcal meningitis
  Topic code "art-timing-cryptococcal" (warning).

  In the COAT trial, starting antiretroviral therapy (ART) 1-2 weeks after cryptococcal meningitis was
  diagnosed caused more deaths than waiting about 5 weeks. The alert fires when ART is starting for a
  patient with HIV (an ART order while no course is current: a first start, or a restart after an
  interruption) and cryptococcal meningitis (B45.1) was diagnosed in the last 28 days, and advises waiting
  until 4-6 weeks after antifungal treatment began. A refill or a switch of regimen during a current course
  is not a start; a pharmacokinetic booster (ritonavir, cobicistat) alone or with a drug that is not an
  antiretroviral (nirmatrelvir/ritonavir) is not ART.

  Sources: Boulware et al., N Engl J Med 2014 (COAT trial).

  Background:
    Given a male patient aged 33
    And the patient has HIV
    And a CD4 count of 25 cells/µL 10 days ago

  Scenario: ART ordered ten days after cryptococcal meningitis was diagnosed
    Given the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires
    And the "art-timing-cryptococcal" alert is warning
    And the "art-timing-cryptococcal" alert explains "4-6 weeks after antifungal treatment"
    And the "art-timing-cryptococcal" alert explains "Days since cryptococcal meningitis was diagnosed: 10"
    And only these alerts fire: art-timing-cryptococcal, iris-risk

  Scenario Outline: The alert applies for 28 days after the diagnosis
    Given the patient has cryptococcal meningitis (B45.1) diagnosed <days> days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert <outcome>

    Examples:
      | days | outcome       |
      | 0    | fires         |
      | 28   | fires         |
      | 29   | does not fire |

  Scenario: Cryptococcal meningitis, but no ART is being ordered
    Given the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    When the rules are evaluated
    Then no alert fires

  Scenario: Cryptococcosis outside the meninges
    Given the patient has pulmonary cryptococcosis (B45.0) diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert does not fire

  Scenario: A regimen switch 730 days into a course is not starting ART
    Given the patient started efavirenz 730 days ago
    And the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert does not fire

  Scenario: Restarting ART after an interruption is starting ART
    Given the patient stopped efavirenz 200 days ago after 300 days of treatment
    And the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires

  Scenario: Nirmatrelvir/ritonavir for COVID-19 is not ART
    Given the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    And nirmatrelvir/ritonavir is being ordered
    When the rules are evaluated
    Then no alert fires
