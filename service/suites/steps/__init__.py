"""The Gherkin step library: the sentences feature files are written in (docs/steps.md lists them).

The project's own tests (tests/conftest.py) and ``clinrules test`` (service.suites.bdd_plugin) load the same
modules, listed in :data:`STEP_PLUGINS`.
"""

STEP_PLUGINS = (
    "service.suites.steps.given",
    "service.suites.steps.given_medicines",
    "service.suites.steps.given_results",
    "service.suites.steps.when",
    "service.suites.steps.then",
    "service.suites.steps.service_world",
    "service.suites.steps.service_given",
    "service.suites.steps.service_steps",
    "service.suites.steps.analytics_steps",
)
"""The pytest plugins that define the steps, in the order their sections appear in docs/steps.md."""
