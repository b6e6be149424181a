"""The client's IP address, as a fraud signal.

Only the socket's peer (REMOTE_ADDR) is trusted by default: X-Forwarded-For is written by
whoever sends the request. Behind N proxies we control (TRUSTED_PROXY_COUNT = N), the
address the outermost of them saw is the N-th entry from the right of X-Forwarded-For.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    address = request.META.get("REMOTE_ADDR", "")
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            address = hops[-count]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return ""
