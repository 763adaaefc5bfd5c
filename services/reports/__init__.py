"""Reports read from the ledger and settlements: co-builder statements, recognised revenue and
receivables aging (docs/reports.md)."""

from services.reports import co_builders, receivables, revenue

__all__ = ["co_builders", "receivables", "revenue"]
