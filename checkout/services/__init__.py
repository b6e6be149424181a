"""Every write to checkout, one module per area; import from the module that owns it."""
