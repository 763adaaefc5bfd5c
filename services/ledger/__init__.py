"""Each centre's double-entry revenue ledger (issue 13; docs/ledger.md).

`chart` (accounts, opened with the centre or on first use), `entries` (`post`, the one function
that writes money; reversals), `periods` (calendar months; closing), `balances` (derived from the
postings), `bank_accounts`, `access` (who reaches a centre's ledger), `books` (the ledger as
finance staff use it), `verify` (the auditor: `ttm ledger-verify`), `export` (beancount, hledger and CSV files).
"""

from services.ledger import access, balances, bank_accounts, books, chart, entries, export, periods

__all__ = ["access", "balances", "bank_accounts", "books", "chart", "entries", "export", "periods"]
