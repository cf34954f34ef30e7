"""Bind every Gherkin feature under ``features/`` (clinical behaviour, and the service's when it exists)."""

from pytest_bdd import scenarios

scenarios("")
