"""Shared test configuration: the step library plugins and the default evaluation target."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from service.suites.steps import STEP_PLUGINS
from service.suites.steps.target import EngineTarget, Target

pytest_plugins = [*STEP_PLUGINS, "tests.network_guard", "tests.databases"]


def pytest_configure(config: pytest.Config) -> None:
    """Create the directory of the Cucumber JSON report (``--cucumberjson=reports/cucumber.json``), and keep
    the knowledge-base cache of commands the tests run out of the user's home."""
    cache = tempfile.mkdtemp(prefix="clinrules-test-cache-")
    os.environ["CLINRULES_CACHE_DIR"] = cache
    config.add_cleanup(lambda: shutil.rmtree(cache, ignore_errors=True))
    path = getattr(config.option, "cucumber_json_path", None)
    if path:
        Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def clinrules_target() -> Target:
    """What the When step evaluates against: by default the rules engine in this process."""
    return EngineTarget()
