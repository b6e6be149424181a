"""Stored-value instruments (gift cards, store credit) and split payments across them and cards.

They are payment instruments, so they live in payments and know nothing of sessions: a
session applies them through checkout, which hands payments the parts to take.
"""
