"""GET /health's view of the payment gateways the platform has configured."""

from payments.gateways import gateway_class_named


def gateway_health_check(name: str):
    """A check for `name`: reached (ok), not configured on this platform (off: nothing to
    reach, and not a fault), or a word for why it could not be reached."""

    def check() -> tuple[bool, str]:
        gateway_class = gateway_class_named(name)
        if not gateway_class.is_configured():
            return True, "off"
        gateway_class().ping()
        return True, "ok"

    return check
