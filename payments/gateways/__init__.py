"""Gateway selection: each merchant names its gateway; inbound messages name theirs by
the signature header they carry."""

from payments.gateways.base import Gateway
from payments.gateways.simulator import SimulatorGateway
from payments.gateways.stripe import StripeGateway

_GATEWAYS: dict[str, type[Gateway]] = {
    SimulatorGateway.name: SimulatorGateway,
    StripeGateway.name: StripeGateway,
}


def gateway_named(name: str) -> Gateway:
    try:
        return _GATEWAYS[name]()
    except KeyError:
        raise LookupError(f"No gateway named {name!r}.") from None


def gateway_class_named(name: str) -> type[Gateway]:
    return _GATEWAYS[name]


def gateway_for_signature(headers) -> Gateway | None:
    """The gateway whose signature header the request carries, if any."""
    for gateway_class in _GATEWAYS.values():
        if headers.get(gateway_class.signature_header):
            return gateway_class()
    return None
