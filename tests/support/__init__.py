"""Helpers shared by the access-control suites (route enumeration, data snapshots, response checks)."""
