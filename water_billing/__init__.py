"""水道料金 (water_billing): see docs/domain/ and docs/ARCHITECTURE.md."""
