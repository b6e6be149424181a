"""Staff decisions on a line (the back office's review queue), each one audited."""

from django.db import transaction
from django.utils import timezone

from payments.models import PaymentTransaction
from reconciliation import ledger_link
from reconciliation.exceptions import MatchTargetInvalid
from reconciliation.locks import lock_line
from reconciliation.models import LineState, MatchKind, StatementLine
from reconciliation.services.candidates import SETTLED
from reconciliation.services.log import line_transition
from refunds.models import RefundRequest


def _actor(user) -> str:
    return f"staff:{user.get_username()}"


def _target(line: StatementLine, kind: str, target_id: str) -> dict:
    """The object named, of the line's merchant, in a state where money has moved."""
    target_id = (target_id or "").strip()
    if kind == MatchKind.PAYMENT:
        payment = PaymentTransaction.objects.filter(
            merchant_id=line.merchant_id, public_id=target_id, state__in=SETTLED
        ).first()
        if payment is None:
            raise MatchTargetInvalid("No captured payment of this merchant has that id.", param="target_id")
        return {"kind": kind, "payment": payment, "currency": payment.currency}
    if kind == MatchKind.REFUND:
        refund = RefundRequest.objects.filter(
            merchant_id=line.merchant_id, public_id=target_id, state=RefundRequest.State.COMPLETED
        ).first()
        if refund is None:
            raise MatchTargetInvalid("No completed refund of this merchant has that id.", param="target_id")
        return {"kind": kind, "refund": refund, "currency": refund.currency}
    if kind == MatchKind.PAYOUT and ledger_link.available():
        payout = ledger_link.payouts_by_token(line.merchant_id, [target_id]).get(target_id)
        if payout is None:
            raise MatchTargetInvalid("No payout of this merchant has that id.", param="target_id")
        return {"kind": kind, "payout_id": payout.public_id, "currency": payout.currency}
    raise MatchTargetInvalid("kind must be payment, refund or payout.", param="kind")


def _already_matched(line: StatementLine, target: dict) -> StatementLine | None:
    others = StatementLine.objects.filter(merchant_id=line.merchant_id, state=LineState.MATCHED).exclude(pk=line.pk)
    if "payment" in target:
        others = others.filter(match_kind=MatchKind.PAYMENT, matched_payment=target["payment"])
    elif "refund" in target:
        others = others.filter(match_kind=MatchKind.REFUND, matched_refund=target["refund"])
    else:
        others = others.filter(match_kind=MatchKind.PAYOUT, matched_payout_id=target["payout_id"])
    return others.first()


def line_match_by_hand(*, line_pk: int, kind: str, target_id: str, user, note: str = "") -> StatementLine:
    """Locks the line; matches it to the merchant's payment, refund or payout. 409 when the
    line is already matched or the money is settled by another line (unmatch that first);
    400 for an unknown target or another currency. The decision and its note are audited."""
    with transaction.atomic():
        line = lock_line(line_pk=line_pk)
        target = _target(line, kind, target_id)
        if target["currency"] != line.currency:
            raise MatchTargetInvalid(f"The line is in {line.currency}, that {kind} in {target['currency']}.")
        other = _already_matched(line, target)
        if other is not None:
            raise MatchTargetInvalid(
                f"That {kind} is already matched by line {other.public_id}; unmatch it first.", status_code=409
            )
        line_transition(
            line,
            "match_by_hand",
            actor=_actor(user),
            data={"kind": kind, "id": target_id, "note": note},
            kind=kind,
            payment=target.get("payment"),
            refund=target.get("refund"),
            payout_id=target.get("payout_id", ""),
            user=user,
            at=timezone.now(),
            note=note,
        )
    return line


def line_investigate(*, line_pk: int, user, note: str) -> StatementLine:
    """IN_REVIEW (or UNMATCHED) → UNMATCHED, investigated: the matcher leaves it alone and
    the report counts it as explained by the note. A note is required."""
    note = (note or "").strip()
    if not note:
        raise MatchTargetInvalid("Say what the investigation found.", param="note")
    with transaction.atomic():
        line = lock_line(line_pk=line_pk)
        line_transition(line, "investigate", actor=_actor(user), data={"note": note}, note=note, at=timezone.now())
    return line


def line_unmatch(*, line_pk: int, user, note: str = "") -> StatementLine:
    """MATCHED → UNMATCHED; the matcher will look at it again on its next run."""
    with transaction.atomic():
        line = lock_line(line_pk=line_pk)
        before = {"kind": line.match_kind, "payment": line.matched_payment_id, "refund": line.matched_refund_id,
                  "payout": line.matched_payout_id}  # fmt: skip
        line_transition(line, "unmatch", actor=_actor(user), data={"was": before, "note": note}, note=note)
    return line
