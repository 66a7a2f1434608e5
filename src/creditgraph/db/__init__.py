"""Database access: where PostgreSQL comes from, how we connect, how schemas evolve."""
