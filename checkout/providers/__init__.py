"""Pluggable outside answers the checkout asks for (tax, shipping), one module per kind."""
