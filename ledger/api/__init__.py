"""The ledger's API: metrics and exports (seed 001 section 16)."""
