"""The meetings' write operations: meetings (agenda, documents, attendance), minutes, Web会議 links."""
