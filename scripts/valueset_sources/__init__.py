"""Readers of the published terminology artefacts, and what each concept means (for build_valuesets.py)."""
