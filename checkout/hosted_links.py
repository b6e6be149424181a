"""Links and tokens that let a shopper's browser reach one session: the hosted page URL
(the session resource's `links.approve` and POST /hosted-url) and the embed token.

Pure computation, no database: the client token is signed, not stored, so handing one
out writes nothing and any process can verify it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from checkout.models import CheckoutSession
from core.exceptions import InvalidStateTransition
from merchants.credentials import client_token_sign

# A link may sit in an email or a chat for a while; an hour bounds what a leaked one
# exposes. The session's own expiry caps it further.
HOSTED_LINK_TTL = timedelta(hours=1)
# An embedded checkout refreshes its token through the merchant's server.
EMBED_TOKEN_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class HostedLink:
    url: str
    token: str
    expires_at: datetime


def session_token(session: CheckoutSession, *, ttl: timedelta, now=None) -> SessionToken:
    """A client token for this session alone, valid for ttl but never past the session."""
    now = now or timezone.now()
    expires_at = min(session.expires_at, now + ttl).replace(microsecond=0)
    token = client_token_sign(
        merchant_id=session.merchant_id, subject=session.public_id, expires_at=expires_at.timestamp()
    )
    return SessionToken(token=token, expires_at=expires_at)


def hosted_link(session: CheckoutSession, *, now=None) -> HostedLink:
    """The hosted checkout page for the session, carrying its own client token."""
    issued = session_token(session, ttl=HOSTED_LINK_TTL, now=now)
    query = urlencode({"token": issued.token})
    return HostedLink(
        url=f"{settings.PUBLIC_BASE_URL}/pay/{session.public_id}?{query}",
        token=issued.token,
        expires_at=issued.expires_at,
    )


def ensure_linkable(session: CheckoutSession, *, now=None) -> None:
    """A link to a session past its expiry would carry a token that is already dead."""
    if session.expires_at <= (now or timezone.now()):
        raise InvalidStateTransition(
            "The session has expired; no link can be issued for it.",
            code="session_expired",
            explain="refresh the session (POST /sessions/{id}/refresh) while it is still open",
        )
