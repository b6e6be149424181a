"""Finding what a batch of statement lines could be: a few indexed queries per batch,
never one per line. Pure reads; services/matching.py decides and writes."""

import re
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from payments.models import PaymentAttempt, PaymentTransaction, State
from reconciliation import ledger_link
from reconciliation.models import LineState, MatchKind, StatementLine
from refunds.models import Dispute, RefundRequest

SETTLED = (State.COMPLETED, State.PARTIALLY_REFUNDED, State.REFUNDED, State.DISPUTED)
BANK_TRANSFER_ACTION = "display_bank_transfer_instructions"
# Words of a remittance text that could be an id or a reference; banks wrap and pad them.
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{5,99}")
MAX_TOKENS = 30
# A prefix this long of one of our ids is still unlikely to be anyone else's.
TRUNCATED_MIN = 10


def tokens_of(reference: str, remittance: str) -> list[str]:
    """What a line's reference and remittance text could name, in order, at most MAX_TOKENS."""
    tokens = []
    if reference:
        tokens.append(reference)
    for text in (reference, remittance):
        tokens.extend(_WORD.findall(text or ""))
    return list(dict.fromkeys(tokens))[:MAX_TOKENS]


def line_tokens(line: StatementLine) -> list[str]:
    return tokens_of(line.reference, line.remittance)


def any_of(model, column: str, values) -> Q:
    """`column IN values`, as one array parameter on PostgreSQL (`= ANY(%s)`): a batch names
    thousands of tokens, and a placeholder each costs more to send than the lookup does."""
    values = list(values)
    if connection.vendor != "postgresql":
        return Q(**{f"{column}__in": values})
    table = model._meta.db_table
    return Q(RawSQL(f'"{table}"."{column}" = ANY(%s)', (values,), output_field=BooleanField()))


@dataclass
class Candidate:
    kind: str
    pk: int
    public_id: str
    currency: str
    amounts: dict  # {"gross": int, "net": int} the line may equal
    on: date | None
    bank_transfer: bool = False
    reasons: list = field(default_factory=list)
    score: int = 0

    def as_suggestion(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.public_id,
            "amount": self.amounts.get("gross"),
            "net": self.amounts.get("net"),
            "currency": self.currency,
            "date": self.on.isoformat() if self.on else None,
            "score": self.score,
            "reasons": self.reasons,
        }


class CandidateIndex:
    """Everything the batch's tokens name, loaded in one query per kind."""

    def __init__(self, merchant_id: int, lines: list[StatementLine]):
        self.merchant_id = merchant_id
        self.tokens = {line.pk: line_tokens(line) for line in lines}
        every = {token for tokens in self.tokens.values() for token in tokens}
        payments = any_of(PaymentTransaction, "public_id", every) | any_of(PaymentTransaction, "reference", every)
        self.payments = self._payments(payments) if every else {}
        # A processor's payout report names a refund by its own id or by the charge it
        # refunds, and a dispute by its id or its charge: looked up for debits only.
        debits = {token for line in lines if line.amount < 0 for token in self.tokens[line.pk]}
        refunds = any_of(RefundRequest, "public_id", debits) | any_of(RefundRequest, "gateway_reference", debits)
        self.refunds = self._refunds(refunds) if debits else {}
        self.disputes = {}
        if debits:
            self._load_charged(debits)
        self._load_transfers(every)
        self.payouts = ledger_link.payouts_by_token(merchant_id, every) if ledger_link.available() else {}
        self._load_fees()
        self.taken = self._taken()

    # --- loading ------------------------------------------------------------------------
    def _payments(self, condition) -> dict:
        found = {}
        rows = (
            PaymentTransaction.objects.filter(merchant_id=self.merchant_id)
            .filter(condition)
            .filter(Q(state__in=SETTLED) | Q(state=State.REQUIRES_ACTION, next_action__type=BANK_TRANSFER_ACTION))
        )
        for payment in rows.only(
            "pk",
            "public_id",
            "reference",
            "state",
            "amount",
            "amount_captured",
            "currency",
            "completed_at",
            "next_action",
            "action_expires_at",
        ):
            found.setdefault(payment.public_id, []).append(payment)
            if payment.reference:
                found.setdefault(payment.reference, []).append(payment)
        return found

    def _load_transfers(self, tokens) -> None:
        """Bank transfers awaited, by the reference their instructions gave (upper case: a
        bank may print the remittance so)."""
        wanted = {token.upper() for token in tokens if token[:2].upper() == "BT" and len(token) >= 10}
        if not wanted:
            return
        lookup = f"next_action__{BANK_TRANSFER_ACTION}__reference__in"
        rows = PaymentTransaction.objects.filter(
            merchant_id=self.merchant_id, state=State.REQUIRES_ACTION, **{lookup: list(wanted)}
        )
        for payment in rows:
            reference = payment.next_action[BANK_TRANSFER_ACTION]["reference"]
            for token in tokens:
                if token.upper() == reference:
                    self.payments.setdefault(token, []).append(payment)

    def _refunds(self, condition) -> dict:
        rows = RefundRequest.objects.filter(merchant_id=self.merchant_id, state=RefundRequest.State.COMPLETED)
        found = {}
        for refund in rows.filter(condition).only(
            "pk", "public_id", "gateway_reference", "payment_id", "card_amount", "currency", "completed_at"
        ):
            found.setdefault(refund.public_id, []).append(refund)
            if refund.gateway_reference:
                found.setdefault(refund.gateway_reference, []).append(refund)
        return found

    def _load_charged(self, tokens) -> None:
        """Refunds and disputes of the payments the tokens name (our id, the merchant's
        reference, or the gateway's charge or intent id), and disputes by their own id (ours
        or the gateway's), with what the ledger withdrew for each: four queries."""
        charged = {}
        payments = PaymentTransaction.objects.filter(merchant_id=self.merchant_id).filter(
            any_of(PaymentTransaction, "public_id", tokens) | any_of(PaymentTransaction, "reference", tokens)
        )
        for pk, public_id, reference in payments.values_list("pk", "public_id", "reference"):
            charged.setdefault(public_id, set()).add(pk)
            if reference:
                charged.setdefault(reference, set()).add(pk)
        attempts = PaymentAttempt.objects.filter(transaction__merchant_id=self.merchant_id).filter(
            any_of(PaymentAttempt, "gateway_reference", tokens)
        )
        for reference, pk in attempts.values_list("gateway_reference", "transaction_id"):
            charged.setdefault(reference, set()).add(pk)
        by_payment = {}
        for token, pks in charged.items():
            for pk in pks:
                by_payment.setdefault(pk, []).append(token)
        if by_payment:
            rows = RefundRequest.objects.filter(
                merchant_id=self.merchant_id, state=RefundRequest.State.COMPLETED, payment_id__in=list(by_payment)
            ).only("pk", "public_id", "gateway_reference", "payment_id", "card_amount", "currency", "completed_at")
            for refund in rows:
                for token in by_payment[refund.payment_id]:
                    group = self.refunds.setdefault(token, [])
                    if refund not in group:
                        group.append(refund)
        condition = any_of(Dispute, "public_id", tokens) | any_of(Dispute, "gateway_dispute_id", tokens)
        if by_payment:
            condition |= Q(payment_id__in=list(by_payment))
        disputes = list(Dispute.objects.filter(merchant_id=self.merchant_id).filter(condition))
        withdrawn = (
            ledger_link.dispute_withdrawals(self.merchant_id, {d.gateway_dispute_id for d in disputes})
            if disputes and ledger_link.available()
            else {}
        )
        for dispute in disputes:
            dispute.withdrawal = withdrawn.get(dispute.gateway_dispute_id)
            for token in {dispute.public_id, dispute.gateway_dispute_id, *by_payment.get(dispute.payment_id, [])}:
                self.disputes.setdefault(token, []).append(dispute)

    def _load_fees(self):
        pks = {p.pk for group in self.payments.values() for p in group}
        self.fees = ledger_link.charge_fees(pks) if pks and ledger_link.available() else {}

    def _taken(self) -> set:
        """(kind, pk or payout id) already settled by a matched line."""
        payment_pks = {p.pk for group in self.payments.values() for p in group}
        refund_pks = {r.pk for group in self.refunds.values() for r in group}
        dispute_pks = {d.pk for group in self.disputes.values() for d in group}
        payout_ids = {p.public_id for p in self.payouts.values()}
        matched = StatementLine.objects.filter(merchant_id=self.merchant_id, state=LineState.MATCHED).filter(
            Q(matched_payment_id__in=payment_pks)
            | Q(matched_refund_id__in=refund_pks)
            | Q(matched_dispute_id__in=dispute_pks)
            | Q(matched_payout_id__in=payout_ids)
        )
        taken = set()
        for kind, payment_pk, refund_pk, dispute_pk, payout_id in matched.values_list(
            "match_kind", "matched_payment_id", "matched_refund_id", "matched_dispute_id", "matched_payout_id"
        ):
            taken.add((kind, payment_pk or refund_pk or dispute_pk or payout_id))
        return taken

    def add_truncated(self, lines: list[StatementLine]) -> None:
        """A bank may cut a reference short: look its longer tokens up as id prefixes (one
        query for the batch's leftovers) so a reviewer gets the candidates."""
        prefixes = {token for line in lines for token in self.tokens[line.pk] if len(token) >= TRUNCATED_MIN}
        if not prefixes:
            return
        condition = Q()
        for prefix in prefixes:
            condition |= Q(public_id__startswith=prefix)
        for key, group in self._payments(condition).items():
            self.payments.setdefault(key, []).extend(p for p in group if p not in self.payments.get(key, []))
        for key, group in self._refunds(condition).items():
            self.refunds.setdefault(key, group)
        self._load_fees()
        self.taken |= self._taken()
        self.prefix_lookup = True

    # --- per line -------------------------------------------------------------------------
    def candidates(self, line: StatementLine, *, truncated: bool = False) -> list[Candidate]:
        tokens = self.tokens[line.pk]
        found: dict[tuple, Candidate] = {}

        def matching(index):
            if not truncated:
                for token in tokens:
                    yield from index.get(token, [])
                return
            for key, group in index.items():
                if any(key.startswith(t) and key != t for t in tokens if len(t) >= TRUNCATED_MIN):
                    yield from group

        if line.amount > 0:
            for payment in matching(self.payments):
                pending = payment.state == State.REQUIRES_ACTION
                gross = payment.amount if pending else payment.amount_captured
                amounts = {"gross": gross}
                if payment.pk in self.fees:
                    amounts["net"] = gross - self.fees[payment.pk]
                on = payment.completed_at.date() if payment.completed_at else None
                found[(MatchKind.PAYMENT, payment.pk)] = Candidate(
                    MatchKind.PAYMENT, payment.pk, payment.public_id, payment.currency, amounts, on, pending
                )
            if not truncated:
                for token in tokens:
                    payout = self.payouts.get(token)
                    if payout is not None:
                        found[(MatchKind.PAYOUT, payout.public_id)] = Candidate(
                            MatchKind.PAYOUT,
                            payout.pk,
                            payout.public_id,
                            payout.currency,
                            {"gross": payout.amount},
                            payout.arrival_date,
                        )
        elif line.amount < 0:
            for refund in matching(self.refunds):
                on = refund.completed_at.date() if refund.completed_at else None
                found[(MatchKind.REFUND, refund.pk)] = Candidate(
                    # Only the part paid back to the card leaves through the processor (the rest
                    # may be store credit).
                    MatchKind.REFUND,
                    refund.pk,
                    refund.public_id,
                    refund.currency,
                    {"gross": -refund.card_amount},
                    on,
                )
            for dispute in matching(self.disputes):
                found[(MatchKind.DISPUTE, dispute.pk)] = self._dispute_candidate(dispute)
        return list(found.values())

    @staticmethod
    def _dispute_candidate(dispute) -> Candidate:
        """The money a dispute withdrew: the ledger's row (the disputed amount, and net of
        the dispute fee, as the processor reports gross and net), else the disputed amount."""
        if dispute.withdrawal is not None:
            amount, net, on = dispute.withdrawal
            amounts = {"gross": amount, "net": net}
        else:
            amounts, on = {"gross": -dispute.amount}, dispute.created_at.date()
        return Candidate(MatchKind.DISPUTE, dispute.pk, dispute.public_id, dispute.currency, amounts, on)

    def is_taken(self, candidate: Candidate) -> bool:
        key = candidate.public_id if candidate.kind == MatchKind.PAYOUT else candidate.pk
        return (candidate.kind, key) in self.taken

    def take(self, candidate: Candidate) -> None:
        key = candidate.public_id if candidate.kind == MatchKind.PAYOUT else candidate.pk
        self.taken.add((candidate.kind, key))
