"""財務会計 (finance): see docs/domain/ and docs/ARCHITECTURE.md."""
