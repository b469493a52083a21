"""The SQL warehouse: connections, migrations, bulk loads, merges."""
