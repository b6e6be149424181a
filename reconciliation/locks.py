"""The only place reconciliation builds select_for_update querysets."""

from reconciliation.exceptions import LineNotFound
from reconciliation.models import StatementLine


def lock_line(*, line_pk: int) -> StatementLine:
    line = StatementLine.objects.select_for_update(of=("self",)).filter(pk=line_pk).first()
    if line is None:
        raise LineNotFound()
    return line
