"""What start-up builds is frozen out of the garbage collector while the app runs, and released after."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import Settings


def test_start_up_objects_are_out_of_the_collectors_reach_while_the_app_runs(settings: Settings) -> None:
    gc.unfreeze()
    with TestClient(create_app(settings)) as client:
        frozen = gc.get_freeze_count()
        assert client.get("/health").status_code == 200
    assert frozen > 10_000  # the rules, value sets and models: not walked by each collection
    assert gc.get_freeze_count() == 0  # stopped: collectable again
