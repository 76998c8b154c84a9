"""Full-text search over the public releases of every office (German FTS on PostgreSQL, FTS5 on SQLite)."""
