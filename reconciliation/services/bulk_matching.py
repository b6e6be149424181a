"""The matcher's set-based first pass (PostgreSQL): every line of a batch that has exactly
one exact candidate is matched in one statement, its line event written by the same
statement. services/matching.py then decides the rest line by line, as before.

The pass only takes what the line-by-line matcher would match too, and leaves it
everything else: a line with several exact candidates, a candidate another line of the
batch could also claim, a bank transfer still awaited (settled through payments), or
anything that is not a credit (refunds, disputes, the reviewer's suggestions). So the
rules stay those of candidates.py and matching.py; this is only their common case,
without a model instance per line.
"""

from django.db import connection
from django.utils import timezone

from payments.models import PaymentTransaction, State
from reconciliation import ledger_link
from reconciliation.models import LineState, MatchKind, StatementLine, StatementLineEvent
from reconciliation.services.candidates import BANK_TRANSFER_ACTION, SETTLED, tokens_of

# Joins a batch's tokens into one text parameter: a client-side quoted array of
# hundreds of thousands of strings costs more to build than the whole match.
_SEPARATOR = "\x1f"


def transition_edge(name: str) -> tuple[str, str]:
    """(source, target) of a StatementLine transition, read from its @transition: a write
    that bypasses the method still moves only along an edge the model declares."""
    transitions = getattr(StatementLine, name)._django_fsm.transitions
    assert len(transitions) == 1, f"{name} has several sources; a set-based write needs one"
    ((source, transition),) = transitions.items()
    return str(source), str(transition.target)


_SQL = """
WITH tok AS (
    SELECT DISTINCT t.line_id, t.token, t.amount, t.currency, t.booked_on
    FROM unnest(
        string_to_array(%(line_ids)s, ',')::bigint[], string_to_array(%(tokens)s, %(separator)s),
        string_to_array(%(amounts)s, ',')::bigint[], string_to_array(%(currencies)s, ','),
        string_to_array(%(days_booked)s, ',')::date[]
    ) AS t(line_id, token, amount, currency, booked_on)
),
pay AS (
    SELECT tok.line_id, tok.amount AS line_amount, tok.currency AS line_currency, tok.booked_on, p.id AS pk
    FROM tok JOIN {payment} p ON p.merchant_id = %(merchant)s AND p.public_id = tok.token
    UNION
    SELECT tok.line_id, tok.amount, tok.currency, tok.booked_on, p.id
    FROM tok JOIN {payment} p ON p.merchant_id = %(merchant)s AND p.reference = tok.token
),
cand AS (
    SELECT x.*, x.gross - x.fee AS net, bool_or(x.awaited) OVER (PARTITION BY x.line_id) AS line_awaits FROM (
        SELECT pay.line_id, pay.line_amount, pay.line_currency, pay.booked_on, %(payment_kind)s AS kind, p.id AS pk,
               p.public_id, p.currency,
               CASE WHEN p.state = %(awaiting)s THEN p.amount ELSE p.amount_captured END AS gross,
               (SELECT SUM(b.fee) FROM {balance} b WHERE b.payment_id = p.id AND b.type = 'charge')::bigint AS fee,
               (p.completed_at AT TIME ZONE 'UTC')::date AS on_day,
               p.state = %(awaiting)s AS awaited
        FROM pay JOIN {payment} p ON p.id = pay.pk
        WHERE p.state = ANY(%(settled)s) OR (p.state = %(awaiting)s AND p.next_action ->> 'type' = %(transfer)s)
        UNION ALL
        SELECT DISTINCT tok.line_id, tok.amount, tok.currency, tok.booked_on, %(payout_kind)s, po.id, po.public_id,
               po.currency, po.amount, NULL::bigint, po.arrival_date, false
        FROM tok JOIN {payout} po ON po.merchant_id = %(merchant)s
            AND (po.public_id = tok.token OR (po.reference <> '' AND po.reference = tok.token))
    ) x
),
exact AS (
    SELECT c.line_id, c.kind, c.pk, c.public_id, c.line_awaits, coalesce(c.line_amount = c.net, false) AS net_of_fee,
           count(*) OVER (PARTITION BY c.line_id) AS per_line,
           count(*) OVER (PARTITION BY c.kind, c.pk) AS claims
    FROM cand c
    WHERE c.line_amount > 0 AND c.currency = c.line_currency AND (c.line_amount = c.gross OR c.line_amount = c.net)
      AND (c.on_day IS NULL OR abs(c.booked_on - c.on_day) <= %(days)s)
      AND NOT (c.kind = %(payment_kind)s AND EXISTS (
          SELECT 1 FROM {line} m WHERE m.state = %(target)s AND m.match_kind = %(payment_kind)s
              AND m.matched_payment_id = c.pk))
      AND NOT (c.kind = %(payout_kind)s AND EXISTS (
          SELECT 1 FROM {line} m WHERE m.state = %(target)s AND m.match_kind = %(payout_kind)s
              AND m.merchant_id = %(merchant)s AND m.matched_payout_id = c.public_id))
),
moved AS (
    UPDATE {line} l SET
        state = %(target)s, match_kind = c.kind,
        matched_payment_id = CASE WHEN c.kind = %(payment_kind)s THEN c.pk END,
        matched_refund_id = NULL,
        matched_payout_id = CASE WHEN c.kind = %(payout_kind)s THEN c.public_id ELSE '' END,
        matched_automatically = true, matched_by_id = NULL, matched_at = %(now)s, review_reason = '',
        version = l.version + 1, updated_at = %(now)s
    FROM exact c
    WHERE l.id = c.line_id AND c.per_line = 1 AND c.claims = 1 AND NOT c.line_awaits
      AND NOT (c.line_id = ANY(string_to_array(%(held)s, ',')::bigint[])) AND l.state = %(source)s
    RETURNING l.id, c.kind, c.public_id, c.net_of_fee
)
INSERT INTO {event} (line_id, type, from_state, to_state, actor, data, created_at)
SELECT moved.id, %(event_type)s, %(source)s, %(target)s, %(actor)s,
       jsonb_build_object('kind', moved.kind, 'id', moved.public_id, 'reasons',
                          CASE WHEN moved.net_of_fee THEN '["net of fee"]'::jsonb ELSE '[]'::jsonb END),
       %(now)s
FROM moved
RETURNING line_id
"""


def _sql() -> str:
    BalanceTransaction, Payout = ledger_link._models()
    return _SQL.format(
        line=StatementLine._meta.db_table,
        event=StatementLineEvent._meta.db_table,
        payment=PaymentTransaction._meta.db_table,
        balance=BalanceTransaction._meta.db_table,
        payout=Payout._meta.db_table,
    )


def lines_match_exact(*, merchant_id: int, rows, days: int, actor: str) -> set[int]:
    """Matches the credits among `rows` ((pk, amount, currency, booked_on, reference,
    remittance) of lines the
    caller holds locked, UNMATCHED, in its transaction) that have exactly one exact
    candidate no other line of the batch also has; writes each one's
    `line.match_automatically` event in the same statement. Returns the matched pks."""
    source, target = transition_edge("match_automatically")
    assert source == LineState.UNMATCHED and target == LineState.MATCHED
    line_ids, tokens, amounts, currencies, days_booked, held = [], [], [], [], [], []
    for pk, amount, currency, booked_on, reference, remittance in rows:
        if amount <= 0 or _SEPARATOR in reference or _SEPARATOR in remittance:
            continue
        words = tokens_of(reference, remittance)
        for token in words:
            line_ids.append(str(pk))
            tokens.append(token)
            amounts.append(str(amount))
            currencies.append(currency)
            days_booked.append(booked_on.isoformat())
        # candidates.py also looks a bank transfer's reference up in its instructions: such
        # a line still claims what it names here, but is decided there.
        if any(token[:2].upper() == "BT" and len(token) >= 10 for token in words):
            held.append(str(pk))
    if not tokens or not ledger_link.available():
        return set()
    params = {
        "line_ids": ",".join(line_ids),
        "tokens": _SEPARATOR.join(tokens),
        "amounts": ",".join(amounts),
        "currencies": ",".join(currencies),
        "days_booked": ",".join(days_booked),
        "held": ",".join(held),
        "separator": _SEPARATOR,
        "merchant": merchant_id,
        "source": source,
        "target": target,
        "payment_kind": MatchKind.PAYMENT.value,
        "payout_kind": MatchKind.PAYOUT.value,
        "awaiting": State.REQUIRES_ACTION.value,
        "transfer": BANK_TRANSFER_ACTION,
        "settled": [str(state) for state in SETTLED],
        "days": days,
        "now": timezone.now(),
        "actor": actor[:100],
        "event_type": "line.match_automatically",
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(), params)
        return {row[0] for row in cursor.fetchall()}
