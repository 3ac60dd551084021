"""Admin registrations (filled in by its module owner)."""
