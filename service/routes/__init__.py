"""One router per resource: evaluate, rules, health, cds_hooks, metrics."""
