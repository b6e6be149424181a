"""Every write to refunds and disputes, one module per area; the entry points are re-exported."""

from refunds.services.disputes import dispute_record
from refunds.services.processing import refund_give_up, refund_process, refund_retry, refunds_resume_stuck
from refunds.services.requests import refund_create, refund_provide_info
from refunds.services.review import refund_approve, refund_reject, refund_request_info
from refunds.services.transfers import refund_transfer_fail, refund_transfer_mark_sent

__all__ = [
    "dispute_record",
    "refund_approve",
    "refund_create",
    "refund_give_up",
    "refund_process",
    "refund_provide_info",
    "refund_reject",
    "refund_request_info",
    "refund_retry",
    "refund_transfer_fail",
    "refund_transfer_mark_sent",
    "refunds_resume_stuck",
]
