"""core.rows.insert_rows: log rows of several tables in one statement, ids read back;
rows_held: the rows of a whole block in one statement at its end."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checkout.models import CheckoutSession, SessionEvent
from core.rows import SkipExisting, insert_rows, rows_held, rows_write
from merchants.audit.models import AuditEntry
from merchants.audit.services import audit_entry

pytestmark = pytest.mark.django_db


def _session(merchant):
    return CheckoutSession.objects.create(merchant=merchant, currency="USD", expires_at=timezone.now())


def test_rows_of_two_tables_are_written_in_one_statement_with_their_ids_in_order(api):
    session = _session(api.merchant)
    events = [SessionEvent(session=session, type=f"note.{n}", actor="system:test") for n in range(3)]
    entries = [
        audit_entry(
            merchant_id=api.merchant.pk,
            object_type="checkout_session",
            object_id=session.public_id,
            action=f"note.{n}",
            actor="system:test",
        )
        for n in range(2)
    ]
    with CaptureQueriesContext(connection) as captured:
        insert_rows(events, [], entries)
    assert len(captured.captured_queries) == 1

    for event in events:
        assert event.pk is not None and not event._state.adding
        assert SessionEvent.objects.get(pk=event.pk).type == event.type
    for entry in entries:
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert (stored.action, stored.public_id, stored.actor_type) == (entry.action, entry.public_id, "system")
        assert stored.created_at == entry.created_at
    assert [e.pk for e in events] == sorted(e.pk for e in events)


def test_nothing_to_write_costs_nothing(db):
    with CaptureQueriesContext(connection) as captured:
        insert_rows([], [])
    assert captured.captured_queries == []


def test_the_rows_roll_back_with_the_callers_transaction(api):
    session = _session(api.merchant)
    with pytest.raises(RuntimeError), transaction.atomic():
        insert_rows([SessionEvent(session=session, type="note.gone", actor="system:test")])
        raise RuntimeError("the change failed")
    assert not SessionEvent.objects.filter(session=session, type="note.gone").exists()


def test_a_session_and_its_children_come_back_in_one_query_as_the_orm_builds_them(api):
    from checkout.models import Address, CartLine
    from checkout.selectors import session_get

    session = _session(api.merchant)
    CartLine.objects.bulk_create(
        [
            CartLine(session=session, position=2, sku="B", name="B", quantity=1, unit_amount=12345678901),
            CartLine(session=session, position=1, sku="A", name='Ä "quoted"', quantity=3, unit_amount=5),
        ]
    )
    Address.objects.create(
        session=session, kind="shipping", country="DE", validation_messages=[{"code": "x", "field": "city"}]
    )

    with CaptureQueriesContext(connection) as captured:
        found = session_get(merchant_id=api.merchant.pk, checkout_id=session.public_id)
        lines, [address] = list(found.lines.all()), list(found.addresses.all())
    assert len(captured.captured_queries) == 1

    expected = list(CartLine.objects.filter(session=session).order_by("position"))
    assert [(line.pk, line.sku, line.name, line.unit_amount, line.session_id) for line in lines] == [
        (line.pk, line.sku, line.name, line.unit_amount, line.session_id) for line in expected
    ]
    stored = Address.objects.get(session=session)
    assert address.updated_at == stored.updated_at and address.updated_at.tzinfo is not None
    assert address.validation_messages == [{"code": "x", "field": "city"}]
    assert not address._state.adding and address._state.db == "default"


def _note(session, type):
    return SessionEvent(session=session, type=type, actor="system:test")


def _charge(merchant, key, amount=1000):
    from ledger.models import BalanceTransaction

    return BalanceTransaction(
        merchant=merchant, type="charge", amount=amount, fee=0, net=amount, currency="USD",
        available_on=timezone.localdate(), source_type="payment", source_id=key, key=key,
    )  # fmt: skip


def test_a_held_block_writes_every_row_given_to_it_in_one_statement_at_its_end(api):
    session = _session(api.merchant)
    seen_ids = []
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured, rows_held():
            first, second = _note(session, "note.first"), _note(session, "note.second")
            rows_write([first])
            rows_write([second], then=lambda: seen_ids.append((first.pk, second.pk)))
            assert captured.captured_queries == []  # nothing yet: held to the end
            assert first.pk is None and seen_ids == []
            entry = audit_entry(
                merchant_id=api.merchant.pk, object_type="checkout_session", object_id=session.public_id,
                action="note.first", actor="system:test",
            )  # fmt: skip
            rows_write([entry])
        assert len(captured.captured_queries) == 1
    assert seen_ids == [(first.pk, second.pk)] and first.pk < second.pk
    assert list(SessionEvent.objects.filter(session=session).order_by("pk").values_list("type", flat=True)) == [
        "note.first",
        "note.second",
    ]
    assert AuditEntry.objects.filter(pk=entry.pk, action="note.first").exists()


def test_a_failed_block_writes_nothing_and_a_rolled_back_savepoint_takes_its_rows_along(api):
    session = _session(api.merchant)
    with pytest.raises(RuntimeError), transaction.atomic(), rows_held():
        rows_write([_note(session, "note.failed")])
        raise RuntimeError("the change failed")
    assert not SessionEvent.objects.filter(session=session).exists()

    with transaction.atomic(), rows_held():
        rows_write([_note(session, "note.kept")])
        with pytest.raises(RuntimeError), transaction.atomic():
            # Inside a savepoint: written at once, so its rollback undoes it.
            rows_write([_note(session, "note.undone")])
            raise RuntimeError("only this part failed")
    assert list(SessionEvent.objects.filter(session=session).values_list("type", flat=True)) == ["note.kept"]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_rows_are_written_at_once(api):
    session = _session(api.merchant)
    with rows_held():
        event = _note(session, "note.now")
        rows_write([event])
        assert event.pk is not None


def test_skip_existing_leaves_out_the_rows_already_there_and_reads_back_the_ids_of_the_others(api):
    from ledger.models import BalanceTransaction

    first = _charge(api.merchant, "charge:one")
    insert_rows(SkipExisting([first], unique=("merchant", "key")))
    assert first.pk is not None

    again, other = _charge(api.merchant, "charge:one", amount=5), _charge(api.merchant, "charge:two")
    session = _session(api.merchant)
    note = _note(session, "note.with_ledger")
    with CaptureQueriesContext(connection) as captured:
        insert_rows([note], SkipExisting([again, other], unique=("merchant", "key")))
    assert len(captured.captured_queries) == 1
    assert again.pk is None and again._state.adding  # a replay: nothing written
    assert other.pk is not None and note.pk is not None
    assert BalanceTransaction.objects.get(pk=other.pk).key == "charge:two"
    assert list(BalanceTransaction.objects.filter(key="charge:one").values_list("amount", flat=True)) == [1000]
