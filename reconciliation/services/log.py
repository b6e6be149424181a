"""The one way a statement line changes state, and its append-only audit row."""

from django_fsm import can_proceed

from core.exceptions import InvalidStateTransition
from reconciliation.models import StatementLine, StatementLineEvent


def line_event(line: StatementLine, *, type: str, actor: str, from_state="", data=None) -> StatementLineEvent:
    return StatementLineEvent(
        line=line, type=type, from_state=from_state, to_state=line.state, actor=actor, data=data or {}
    )


def line_transition(line: StatementLine, name: str, *, actor: str, data=None, save=True, **kwargs):
    """Calls the transition, bumps the version and, with `save`, writes the line and its
    event (the caller holds the line's lock in a transaction). Without `save` it returns
    the unsaved event for the caller's bulk write. Raises 409 for an illegal transition."""
    method = getattr(line, name)
    if not can_proceed(method):
        raise InvalidStateTransition(f"A {line.state} statement line cannot be {name.replace('_', ' ')}ed.")
    before = line.state
    method(**kwargs)
    line.version += 1
    event = line_event(line, type=f"line.{name}", actor=actor, from_state=before, data=data)
    if save:
        line.save()
        event.save()
    return event
