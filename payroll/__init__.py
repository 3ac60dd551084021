"""人事給与 (payroll): see docs/domain/ and docs/ARCHITECTURE.md."""
