"""Every payroll state change (docs/domain/payroll.md): one keyword-only function with ``actor``, one
transaction, its audit row inside it."""
