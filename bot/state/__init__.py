"""What the bot remembers, behind protocols, in memory, SQLite or PostgreSQL."""
