"""The store's database engines: SQLite (the default, used directly) and PostgreSQL (through a thin
dialect layer: `target`, `pg_connection`, `pg_sql`)."""
