"""clinrules service: the engine behind FastAPI (own API, CDS Hooks 2.0, audit, feedback, metrics)."""

import os

# A pydantic plugin (any installed package registering the "pydantic" entry point, such as an observability
# SDK) is handed every value a model validates: patient data here. Every process that runs through this
# package (the service, its workers, the command line) loads none, whatever the environment says.
os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
