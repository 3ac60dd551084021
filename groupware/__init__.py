"""グループウェア (groupware): see docs/domain/ and docs/ARCHITECTURE.md."""
