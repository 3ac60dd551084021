"""Every state change of the groupware: one typed, keyword-only function with an explicit actor, one
transaction, its audit row inside it (CONTRIBUTING.md)."""
