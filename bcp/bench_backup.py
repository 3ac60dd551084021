"""Benchmark scenarios (filled in by its module owner)."""
