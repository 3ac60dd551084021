"""ペーパーレス会議 and Web会議 (docs/domain/meetings.md): its own app (label ``groupware_meetings``) inside the
groupware package, with its own models and migrations."""
