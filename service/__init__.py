"""clinrules service: the engine behind FastAPI (own API, CDS Hooks 2.0, audit, feedback, metrics)."""
