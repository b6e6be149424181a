"""Every write to reconciliation, one module per area."""
