"""Business rules, transactions and integrations. Imports `models`, never `api`."""
