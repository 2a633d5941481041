"""SQL storage: schema, migrations, and batched idempotent writes."""
