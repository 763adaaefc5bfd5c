"""Reports read from the ledger and settlements (co-builder statements; revenue and receivables
reports join them in the finance back office)."""

from services.reports import co_builders

__all__ = ["co_builders"]
