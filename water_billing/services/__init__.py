"""The 水道料金 operations: each a keyword-only function with ``actor``, one transaction and its audit row
(CONTRIBUTING.md). Rules: docs/domain/water_billing.md."""
