"""clinrules service: the project's JSON API and CDS Hooks 2.0 over FHIR R4, and the command line."""
