"""Scenario suites written by users: file formats, the runner, and its reports.

``clinrules test`` runs Gherkin feature files (through pytest-bdd and the project's step library) and YAML or
JSON case files (evaluated directly, for speed); ``clinrules rules diff`` runs a suite under two rule sets.
"""
