"""Matching statement lines to payouts, payments and refunds, in batches.

Per line: one candidate whose amount (gross, or net of the processor's fee) equals the
line and whose date is within the tolerance → MATCHED; several, or only near misses (an
amount within the tolerance, a date outside it, money another line already settled, a
reference the bank cut short) → IN_REVIEW with the candidates ranked; nothing → stays
UNMATCHED for a person. A bank transfer still waiting for its money is settled through
payments (services/bank_transfers.py) once the batch is written.
"""

import json
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from merchants.models import Merchant
from reconciliation.models import LineState, MatchKind, StatementLine, StatementLineEvent
from reconciliation.services.bulk_matching import lines_match_exact
from reconciliation.services.candidates import Candidate, CandidateIndex, any_of
from reconciliation.services.log import line_transition

BATCH = 2000
# Lines per transaction on PostgreSQL, where most of a batch is matched by one statement.
BULK_BATCH = 10000
MAX_SUGGESTIONS = 5
RETRIES = 3
_UPDATED = [
    "state",
    "match_kind",
    "matched_payment",
    "matched_refund",
    "matched_dispute",
    "matched_payout_id",
    "matched_automatically",
    "matched_at",
    "suggestions",
    "review_reason",
    "version",
    "updated_at",
]


@dataclass
class MatchResult:
    matched: int = 0
    in_review: int = 0
    unmatched: int = 0
    bank_transfers: list = field(default_factory=list)  # (line pk, payment pk) to settle

    def add(self, other: "MatchResult"):
        self.matched += other.matched
        self.in_review += other.in_review
        self.unmatched += other.unmatched
        self.bank_transfers += other.bank_transfers


@dataclass(frozen=True)
class Tolerance:
    days: int
    amount: int

    @classmethod
    def of(cls, merchant: Merchant) -> "Tolerance":
        extra = merchant.extra_settings or {}
        return cls(
            days=int(extra.get("reconciliation_date_tolerance_days", settings.RECONCILIATION_DATE_TOLERANCE_DAYS)),
            amount=int(extra.get("reconciliation_amount_tolerance", settings.RECONCILIATION_AMOUNT_TOLERANCE)),
        )


def _judge(line: StatementLine, candidate: Candidate, index: CandidateIndex, tolerance: Tolerance) -> bool:
    """Scores the candidate and notes what is off; True when it is an exact match."""
    reasons, score = [], 100
    if candidate.currency != line.currency:
        reasons.append("currency differs")
        score -= 80
    difference = min(abs(line.amount - amount) for amount in candidate.amounts.values())
    if difference:
        reasons.append(f"amount differs by {difference}")
        score -= 30 + min(difference * 20 // max(tolerance.amount, 1), 40)
    elif "net" in candidate.amounts and line.amount == candidate.amounts["net"]:
        reasons.append("net of fee")
    if candidate.on is not None:
        days = abs((line.booked_on - candidate.on).days)
        if days > tolerance.days:
            reasons.append(f"{days} days apart")
            score -= 20
    if index.is_taken(candidate):
        reasons.append("already matched by another line")
        score -= 50
    candidate.reasons, candidate.score = reasons, max(score, 0)
    exact = difference == 0 and candidate.currency == line.currency and not index.is_taken(candidate)
    return exact and not any(reason.endswith("days apart") for reason in reasons)


def _decide(line, candidates, index, tolerance, *, truncated=False):
    """(outcome, candidate or suggestions, reason) for one line; claims what it matches."""
    exact = [c for c in candidates if _judge(line, c, index, tolerance)]
    near = [
        c
        for c in candidates
        if c not in exact
        and c.currency == line.currency
        and (c.bank_transfer or min(abs(line.amount - a) for a in c.amounts.values()) <= tolerance.amount)
    ]
    if len(exact) == 1 and not truncated:
        index.take(exact[0])
        return "match", exact[0], ""
    ranked = sorted(exact + near, key=lambda c: (-c.score, c.public_id))[:MAX_SUGGESTIONS]
    if not ranked:
        return "none", None, ""
    if truncated:
        reason = "reference cut short by the bank"
    elif len(exact) > 1:
        reason = "several candidates"
    elif any("already matched" in r for c in ranked for r in c.reasons):
        reason = "duplicate: the money was already matched by another line"
    elif ranked[0].bank_transfer:
        difference = line.amount - ranked[0].amounts["gross"]
        reason = f"bank transfer: {'underpaid' if difference < 0 else 'overpaid'} by {abs(difference)}"
    else:
        reason = "; ".join(ranked[0].reasons) or "needs a look"
    return "review", [c.as_suggestion() for c in ranked], reason


def _batch(merchant_id: int, after_pk: int, scope: dict, tolerance: Tolerance, actor: str):
    """One batch under its own transaction; returns (result, last pk or None)."""
    with transaction.atomic():
        batch = StatementLine.objects.select_for_update(skip_locked=True).filter(
            merchant_id=merchant_id, state=LineState.UNMATCHED, investigated_at__isnull=True, pk__gt=after_pk, **scope
        )
        result = MatchResult()
        if connection.vendor == "postgresql":
            fields = ("pk", "amount", "currency", "booked_on", "reference", "remittance")
            rows = list(batch.order_by("pk").values_list(*fields)[:BULK_BATCH])
            if not rows:
                return result, None
            last_pk = rows[-1][0]
            matched = lines_match_exact(merchant_id=merchant_id, rows=rows, days=tolerance.days, actor=actor)
            result.matched = len(matched)
            rest = [row[0] for row in rows if row[0] not in matched]
            # Already locked above; read as models only for the line-by-line decisions.
            lines = list(StatementLine.objects.filter(any_of(StatementLine, "id", rest)).order_by("pk")) if rest else []
            if not lines:
                return result, last_pk
        else:
            lines = list(batch.order_by("pk")[:BATCH])
            if not lines:
                return result, None
            last_pk = lines[-1].pk
        index = CandidateIndex(merchant_id, lines)
        changed, events, leftovers = [], [], []
        now = timezone.now()
        for line in lines:
            outcome, found, reason = _decide(line, index.candidates(line), index, tolerance)
            if outcome == "none":
                leftovers.append(line)
                continue
            _apply(line, outcome, found, reason, now, actor, result, changed, events)
        if leftovers:
            index.add_truncated(leftovers)
            for line in leftovers:
                outcome, found, reason = _decide(
                    line, index.candidates(line, truncated=True), index, tolerance, truncated=True
                )
                if outcome == "none":
                    result.unmatched += 1
                    continue
                _apply(line, outcome, found, reason, now, actor, result, changed, events)
        if changed:
            lines_write(changed)
            StatementLineEvent.objects.bulk_create(events, batch_size=1000)
        return result, last_pk


_UNNEST_UPDATE = """
UPDATE reconciliation_statementline AS l SET
    state = v.state, match_kind = v.match_kind, matched_payment_id = v.payment_id, matched_refund_id = v.refund_id,
    matched_dispute_id = v.dispute_id, matched_payout_id = v.payout_id, matched_automatically = v.automatic,
    matched_at = v.matched_at,
    suggestions = v.suggestions::jsonb, review_reason = v.reason, version = v.version, updated_at = v.updated_at
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::boolean[],
            %s::timestamptz[], %s::text[], %s::text[], %s::integer[], %s::timestamptz[])
    AS v(id, state, match_kind, payment_id, refund_id, dispute_id, payout_id, automatic, matched_at, suggestions,
         reason, version, updated_at)
WHERE l.id = v.id
"""
_COLUMNS = (
    "pk", "state", "match_kind", "matched_payment_id", "matched_refund_id", "matched_dispute_id", "matched_payout_id",
    "matched_automatically", "matched_at", "suggestions", "review_reason", "version", "updated_at",
)  # fmt: skip


def lines_write(changed: list[StatementLine]) -> None:
    """Writes the decided lines. On PostgreSQL one UPDATE ... FROM unnest(arrays) for the
    batch: twelve parameters whatever its size, where Django's bulk_update compiles a CASE
    per field and row and costs far more to build than to run. Elsewhere (SQLite in the
    embedded run) bulk_update."""
    if connection.vendor != "postgresql":
        StatementLine.objects.bulk_update(changed, _UPDATED, batch_size=500)
        return
    columns = [[getattr(line, name) for line in changed] for name in _COLUMNS]
    columns[_COLUMNS.index("suggestions")] = [json.dumps(line.suggestions) for line in changed]
    with connection.cursor() as cursor:
        cursor.execute(_UNNEST_UPDATE, columns)


def _apply(line, outcome, found, reason, now, actor, result, changed, events):
    if outcome == "match" and found.bank_transfer:
        # Payments completes it (and the order follows) under its own locks: after commit.
        result.bank_transfers.append((line.pk, found.pk))
        return
    if outcome == "match":
        target = {"payment_id": None, "refund_id": None, "dispute_id": None}
        event = line_transition(
            line,
            "match_automatically",
            actor=actor,
            save=False,
            data={"kind": found.kind, "id": found.public_id, "reasons": found.reasons},
            kind=found.kind,
            payout_id=found.public_id if found.kind == MatchKind.PAYOUT else "",
            at=now,
        )
        if found.kind == MatchKind.PAYMENT:
            target["payment_id"] = found.pk
        elif found.kind == MatchKind.REFUND:
            target["refund_id"] = found.pk
        elif found.kind == MatchKind.DISPUTE:
            target["dispute_id"] = found.pk
        line.matched_payment_id, line.matched_refund_id = target["payment_id"], target["refund_id"]
        line.matched_dispute_id = target["dispute_id"]
        result.matched += 1
    else:
        event = line_transition(
            line,
            "send_to_review",
            actor=actor,
            save=False,
            data={"reason": reason, "suggestions": found},
            reason=reason,
            suggestions=found,
        )
        result.in_review += 1
    line.updated_at = now
    changed.append(line)
    events.append(event)


def lines_match(*, merchant_id: int, actor: str, statement_id: int | None = None) -> MatchResult:
    """Matches the merchant's UNMATCHED lines not yet investigated (those of one statement
    when given), batch by batch, each batch in its own transaction with its lines locked
    (SKIP LOCKED: two runs at once share the work). Money another run matched in between
    makes the batch's write fail on the one-line-per-object constraints; it is then
    re-read and decided again (a bounded number of times). Bank transfers it found are
    settled after their batch commits."""
    from reconciliation.services.bank_transfers import bank_transfer_settle

    merchant = Merchant.objects.get(pk=merchant_id)
    tolerance = Tolerance.of(merchant)
    scope = {"statement_id": statement_id} if statement_id else {}
    total, after_pk = MatchResult(), 0
    while after_pk is not None:  # bounded: each batch moves past at least one line
        for attempt in range(RETRIES):
            try:
                result, last_pk = _batch(merchant_id, after_pk, scope, tolerance, actor)
                break
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
        for line_pk, payment_pk in result.bank_transfers:
            if bank_transfer_settle(line_pk=line_pk, payment_pk=payment_pk, actor=actor):
                result.matched += 1
            else:
                result.in_review += 1
        total.add(result)
        after_pk = last_pk
    return total
