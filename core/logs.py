"""Logging filters that keep card data and secrets out of every log, whatever LOG_LEVEL says."""

import logging


class DropRequestBodies(logging.Filter):
    """Drops the Stripe SDK's "Post details" record: at DEBUG it logs every request's
    encoded parameters, which for a tokenize call are the card number and CVC."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Post details" not in str(record.msg)
