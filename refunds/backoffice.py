"""Refunds' place in the back office: its menu and its review queue's tile."""

from core.backoffice.registry import REFUNDS, MenuItem, Tile, add_menu, add_tile
from refunds import selectors


def register():
    add_menu(
        MenuItem(REFUNDS, "Refunds to review", model="refunds.RefundRequest", query="state__exact=under_review",
                 icon="rule", order=10),
        MenuItem(REFUNDS, "Refund transfers to send", model="refunds.RefundRequest", query="transfer=waiting",
                 icon="account_balance", order=15),
        MenuItem(REFUNDS, "All refunds", model="refunds.RefundRequest", icon="undo", order=20),
        MenuItem(REFUNDS, "Disputes", model="refunds.Dispute", icon="gavel", order=30),
    )  # fmt: skip
    add_tile(
        Tile(
            key="refunds_in_review",
            title="Refunds in review",
            model="refunds.RefundRequest",
            query="state__exact=under_review",
            count=selectors.refund_review_waiting_count,
            description="Above the automatic approval rules: someone other than the requester decides.",
            order=10,
        )
    )
    add_tile(
        Tile(
            key="refund_transfers_to_send",
            title="Refund transfers to send",
            model="refunds.RefundRequest",
            query="transfer=waiting",
            count=selectors.refund_transfers_waiting_count,
            description="Refunds of bank transfers: send each back to the payer's account, then mark it sent.",
            order=15,
        )
    )
    add_tile(
        Tile(
            key="disputes_open",
            title="Disputes open",
            model="refunds.Dispute",
            count=selectors.dispute_open_count,
            description="Evidence due soonest first.",
            tone="danger",
            order=40,
        )
    )
