"""Every write to the ledger; the entry points other apps call are re-exported here."""

from ledger.services.balance import balance_transaction_record, installment_record

__all__ = ["balance_transaction_record", "installment_record"]
