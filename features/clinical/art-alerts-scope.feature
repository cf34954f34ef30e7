Feature: The antiretroviral-therapy alerts are for people with HIV and active tuberculosis as their rules say
  Topic codes "art-timing-tb", "art-timing-cryptococcal", "iris-risk", "iris-steroid-refractory" and
  "tb-iris-prophylaxis".

  Each of these alerts rests on a trial or guideline in people with HIV; the prednisone suggestion rests on a
  trial in people with active tuberculosis. A CD4 count can be low without HIV (tuberculosis itself lowers
  it), tenofovir also treats hepatitis B, and isoniazid and rifampicin also prevent tuberculosis in someone
  who does not have it (TB preventive therapy). Emtricitabine/tenofovir is also pre-exposure prophylaxis
  (PrEP) for people without HIV, and immune reconstitution syndromes also follow other immune recoveries
  (stopping a TNF inhibitor, say), where the AIDS case series behind the thalidomide proposal says nothing. None of these patients is the one the evidence speaks
  about, so none of them gets the alert.

  Sources: WHO consolidated guidelines on HIV; Meintjes, Stek et al., N Engl J Med 2018 (PredART trial);
  Boulware et al., N Engl J Med 2014 (COAT trial); Brunel et al., AIDS 2012.

  Scenario: Active tuberculosis and a very low CD4 count in a patient without HIV
    Given a female patient aged 31
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 6 days ago
    And the patient started rifampicin 5 days ago
    And the patient started isoniazid 5 days ago
    And a CD4 count of 30 cells/µL 6 days ago
    When the rules are evaluated
    Then the "art-timing-tb" alert does not fire

  Scenario: Tenofovir ordered for chronic hepatitis B in a patient without HIV and with a low CD4 count
    Given a male patient aged 52
    And the patient has chronic hepatitis B (B18.1) diagnosed 200 days ago
    And a CD4 count of 80 cells/µL 5 days ago
    And tenofovir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario: ART ordered during TB preventive therapy (isoniazid with rifampicin), without active tuberculosis
    Given a male patient aged 36
    And the patient has HIV
    And the patient started isoniazid 20 days ago
    And the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires
    And the "tb-iris-prophylaxis" alert does not fire

  Scenario: PrEP ordered for a person without HIV ten days after cryptococcal meningitis
    Given a female patient aged 45
    And the patient has cryptococcal meningitis (B45.1) diagnosed 10 days ago
    And emtricitabine/tenofovir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert does not fire

  Scenario: PrEP ordered for a person without HIV three weeks into TB treatment, with a CD4 count of 80
    Given a male patient aged 36
    And the patient has pulmonary tuberculosis (A15.0) diagnosed 21 days ago
    And the patient started rifampicin 20 days ago
    And a CD4 count of 80 cells/µL 10 days ago
    And emtricitabine/tenofovir is being ordered
    When the rules are evaluated
    Then the "tb-iris-prophylaxis" alert does not fire

  Scenario: An immune reconstitution syndrome in a person without HIV, assessed as steroid-dependent
    Given a female patient aged 50
    And the patient has immune reconstitution syndrome (D89.3) diagnosed 40 days ago
    And the clinician assessed the IRIS as steroid-dependent
    When the rules are evaluated
    Then the "iris-steroid-refractory" alert does not fire
    And the "thalidomide-teratogenicity" alert does not fire
