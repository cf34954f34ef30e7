"""CDS Hooks 2.0: service definitions, request models, prefetch resolution, and findings as cards."""
