Feature: Medication orders that carry only a code: RxNorm products and packs, WHO ATC
  An order may arrive with a product or pack code and no drug name (an RxNorm clinical or branded drug, a
  pack, or a WHO ATC code as European and WHO programme systems send). The drug class is recognised from the
  code alone. Sources: the CDS Hooks sandbox RxNorm list, VSAC and NACHC RxNorm value sets, the US Core
  ingredient set, CIEL's RxNorm maps; the WHO ATC/DDD index 2026. Ritonavir and cobicistat on their own
  boost other drugs' levels and are not antiretroviral therapy; lopinavir/ritonavir is, through lopinavir.

  Background:
    Given a male patient aged 40
    And the patient has HIV
    And a CD4 count of 42 cells/µL 3 days ago

  Scenario Outline: Thalidomide ordered by code alone
    Given <drug>, coded <system> "<code>", is being ordered
    When the rules are evaluated
    Then the "thalidomide-teratogenicity" alert fires

    Examples:
      | drug                             | system | code    |
      | thalidomide 50 MG oral capsule   | RxNorm | 200390  |
      | thalidomide                      | ATC    | L04AX02 |
      | lenalidomide                     | ATC    | L04AX04 |

  Scenario Outline: An antiretroviral ordered by code alone
    Given <drug>, coded <system> "<code>", is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert fires

    Examples:
      | drug                                | system | code    |
      | dolutegravir 50 MG tablet, Tivicay  | RxNorm | 1433879 |
      | dolutegravir                        | ATC    | J05AJ03 |
      | lopinavir and ritonavir             | ATC    | J05AR10 |
      | tenofovir, lamivudine, dolutegravir | ATC    | J05AR27 |

  Scenario Outline: A booster alone is not antiretroviral therapy
    Given <drug>, coded <system> "<code>", is being ordered
    When the rules are evaluated
    Then the "iris-risk" alert does not fire

    Examples:
      | drug                        | system | code    |
      | ritonavir                   | ATC    | J05AE03 |
      | nirmatrelvir and ritonavir  | ATC    | J05AE30 |
      | entecavir, for hepatitis B  | ATC    | J05AF10 |

  Scenario Outline: Thalidomide with a corticosteroid known by code alone
    Given the patient is taking <drug>, coded <system> "<code>"
    And thalidomide is being ordered
    When the rules are evaluated
    Then the "thalidomide-vte" alert fires

    Examples:
      | drug                                 | system | code    |
      | dexamethasone                        | ATC    | H02AB02 |
      | prednisolone                         | ATC    | H02AB06 |
      | a pack of 21 dexamethasone 1.5 MG    | RxNorm | 846192  |
      | a pack of 21 prednisone 10 MG        | RxNorm | 763185  |
