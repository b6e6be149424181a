"""Reconciliation's place in the back office: finance's menu and the lines left to match."""

from core.backoffice.registry import FINANCE, MenuItem, Tile, add_menu, add_tile
from reconciliation.models import LineState, StatementLine


def lines_waiting_count() -> int:
    """The admin's default queue: lines in review, and unmatched ones not yet investigated."""
    return StatementLine.objects.filter(
        state__in=[LineState.UNMATCHED, LineState.IN_REVIEW], investigated_at__isnull=True
    ).count()


def register():
    add_menu(
        MenuItem(FINANCE, "Statement lines to match", model="reconciliation.StatementLine", icon="rule",
                 order=10),
        MenuItem(FINANCE, "Statements", model="reconciliation.Statement", icon="receipt_long", order=20),
        MenuItem(FINANCE, "Daily reports", model="reconciliation.DailyReport", icon="summarize", order=30),
        MenuItem(FINANCE, "Statement sources", model="reconciliation.StatementSource", icon="folder_open", order=40),
    )  # fmt: skip
    add_tile(
        Tile(
            key="statement_lines_unmatched",
            title="Statement lines to match",
            model="reconciliation.StatementLine",
            count=lines_waiting_count,
            description="Bank lines the daily match left unmatched or in review.",
            tone="warning",
            order=50,
        )
    )
