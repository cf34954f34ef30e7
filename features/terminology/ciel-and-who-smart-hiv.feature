Feature: HIV programme records: OpenMRS with the CIEL dictionary, and the WHO SMART HIV guideline
  OpenMRS systems code with CIEL concepts (written https://cielterminology.org, or as Open Concept Lab and
  the OpenHIE HIV IG write it); the WHO SMART HIV guideline codes with its own HIV concepts
  (http://smart.who.int/hiv/CodeSystem/HIVConcepts). Both are recognised from their published concept
  lists and maps; a WHO regimen such as "ABC + 3TC + ATV/r" is antiretroviral therapy.

  Scenario Outline: HIV, a very low CD4 count and an antiretroviral order, in programme codes
    Given a male patient aged 40
    And the patient has HIV, coded <hiv system> "<hiv code>"
    And a CD4 count of 42 cells/µL 3 days ago
    And an antiretroviral, coded <art system> "<art code>", is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires

    Examples: the old coding, then CIEL and WHO SMART HIV
      | hiv system                         | hiv code    | art system    | art code    |
      | ICD-10-CM                          | B20         | RxNorm        | 1433868     |
      | CIEL                               | 138571      | CIEL          | 165085      |
      | CIEL as OpenHIE writes it          | 138571      | CIEL          | 165085      |
      | CIEL as Open Concept Lab writes it | 138571      | CIEL          | 165606      |
      | CIEL                               | 138405      | CIEL          | 78643       |
      | CIEL                               | 138571      | CIEL          | 164505      |
      | CIEL                               | 138571      | CIEL          | 167744      |
      | WHO SMART HIV                      | HIV.B.DE116 | WHO SMART HIV | HIV.D.DE91  |
      | WHO SMART HIV                      | HIV.B.DE116 | WHO SMART HIV | HIV.D.DE109 |

  Scenario: A partner's positive HIV test result is not the patient's HIV
    Given a male patient aged 40
    And the patient has a partner's positive HIV test result, coded WHO SMART HIV "HIV.B.DE133"
    And a CD4 count of 42 cells/µL 3 days ago
    And an antiretroviral, coded WHO SMART HIV "HIV.D.DE91", is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

  Scenario Outline: ART ordered ten days after cryptococcal meningitis, in programme codes
    Given a male patient aged 33
    And the patient has HIV
    And a CD4 count of 25 cells/µL 10 days ago
    And the patient has cryptococcal meningitis, coded <system> "<code>" diagnosed 10 days ago
    And dolutegravir is being ordered
    When the rules are evaluated
    Then the "art-timing-cryptococcal" alert fires

    Examples:
      | system        | code        |
      | ICD-10-CM     | B45.1       |
      | CIEL          | 1294        |

  Scenario Outline: An IRIS-associated infection found after ART start, in programme codes
    Given a female patient aged 45
    And the patient has HIV
    And the patient started dolutegravir 30 days ago
    And the patient has <condition>, coded <system> "<code>" diagnosed 9 days ago
    When the rules are evaluated
    Then the "iris-suspected" alert fires

    Examples:
      | condition                                         | system        | code        |
      | pulmonary tuberculosis                            | ICD-10-CM     | A15.0       |
      | tuberculous pneumonia                             | CIEL          | 42          |
      | pulmonary TB                                      | WHO SMART HIV | HIV.D.DE935 |
      | extrapulmonary cryptococcosis, including meningitis | WHO SMART HIV | HIV.D.DE343 |

  Scenario Outline: Currently pregnant, in programme codes, and thalidomide is ordered
    Given a female patient aged 29
    And the patient has pregnancy, coded <system> "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert fires

    Examples:
      | system        | code       |
      | ICD-10-CM     | Z34.01     |
      | CIEL          | 1434       |
      | WHO SMART HIV | HIV.D.DE31 |

  Scenario: A pregnancy coded only in a local code system cannot be read
    Given a female patient aged 29
    And the patient has pregnancy, coded a local code system "PREG-01"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-pregnancy" alert does not fire
    And the "thalidomide-teratogenicity" alert fires
