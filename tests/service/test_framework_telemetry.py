"""FastAPI's built-in OpenTelemetry stays off: its logs of validation failures quote the values a client sent,
which can be patient data, and it would switch itself on as soon as the process had an SDK configured. No
pydantic plugin is loaded either: pydantic hands one every value a model validates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastapi.telemetry._asgi as framework_asgi
import fastapi.telemetry._runtime as framework_runtime
import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings
from tests.unit.test_cli_startup import ROOT, SCENARIO


def test_requests_never_reach_fastapis_telemetry_even_with_an_sdk_configured(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, fixture: Any
) -> None:
    # As if an OpenTelemetry SDK had installed global providers (opentelemetry-instrument, a platform image).
    monkeypatch.setattr(framework_asgi, "_unconfigured", lambda provider: False)
    seen: list[str] = []
    original = framework_asgi.NativeTelemetry.__call__

    async def recording(self: Any, **kwargs: Any) -> None:
        seen.append(kwargs["scope"]["path"])
        await original(self, **kwargs)

    monkeypatch.setattr(framework_asgi.NativeTelemetry, "__call__", recording)
    with TestClient(create_app(settings)) as client:
        good = client.post("/cds-services/patient-view", json=fixture("patient-view-iris-risk"))
        bad = client.post("/evaluate", json={"patient": {"id": "p1", "birth_date": "not a date"}})
    assert good.status_code == 200 and good.json()["cards"]
    assert bad.status_code in (400, 422)
    assert seen == []


def test_fastapi_does_not_set_up_exporters_when_the_environment_asks(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/otlp")
    asked: list[str] = []

    def endpoint(signal: str) -> None:
        asked.append(signal)

    monkeypatch.setattr(framework_runtime, "_export_endpoint", endpoint)
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
    assert asked == []


PLUGIN = '''
from pathlib import Path


class Recorder:
    """Writes down each model it is asked to watch, as an observability plugin would before seeing values."""

    def new_schema_validator(self, schema, schema_type, path, schema_kind, config, plugin_settings):
        with open(Path(__file__).with_name("watched.txt"), "a") as handle:
            handle.write(f"{path.module}:{path.name}\\n")
        return None, None, None


plugin = Recorder()
'''


PROCESSES = {
    "command line": "import sys\nsys.argv = ['clinrules', 'evaluate', 'scenario.json']\n"
    "from service.cli import main\nmain()",
    "service": "import service.app\nfrom engine.scenario import Scenario\n"
    "Scenario.model_validate_json(open('scenario.json').read())",
}
"""Each way into the project: the command line evaluating a scenario, the service validating one."""


@pytest.mark.parametrize("process", PROCESSES)
def test_no_pydantic_plugin_sees_patient_data(tmp_path: Path, process: str) -> None:
    # An installed package registering the "pydantic" entry point, as observability SDKs do.
    (tmp_path / "recording_plugin.py").write_text(PLUGIN)
    info = tmp_path / "recording_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: recording-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pydantic]\nrecorder = recording_plugin:plugin\n")
    (tmp_path / "scenario.json").write_text(json.dumps(SCENARIO))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    # A control run proves the plugin would be loaded: pydantic alone hands it a model.
    control = "import pydantic\nclass M(pydantic.BaseModel):\n    x: int\nM(x=1)"
    subprocess.run([sys.executable, "-c", control], env=env, check=True, cwd=tmp_path)
    assert (tmp_path / "watched.txt").read_text().strip() == "__main__:M"
    (tmp_path / "watched.txt").unlink()
    run = subprocess.run(
        [sys.executable, "-c", PROCESSES[process]], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "watched.txt").exists()
