"""Where documents and chunks are kept: the protocol and its SQLite and PostgreSQL backends."""
