"""The audit trail, card feedback and JWT replay store: tables, the store, and the schema's migrations."""

from service.audit.store import AuditStore, IssuedCard, Outcome, Pruned, StoredCard

__all__ = ["AuditStore", "IssuedCard", "Outcome", "Pruned", "StoredCard"]
