"""The IP's country, read from a MaxMind-format database (GeoLite2/GeoIP2 Country or
City) when settings.GEOIP_DATABASE names one. No database, a private address or an
address it does not know: "" (the geolocation rule then compares what the payer gave)."""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _reader(path: str):
    import geoip2.database

    return geoip2.database.Reader(path)


def ip_country(ip: str) -> str:
    path = getattr(settings, "GEOIP_DATABASE", "")
    if not ip or not path:
        return ""
    try:
        if not ipaddress.ip_address(ip).is_global:
            return ""
        return _reader(path).country(ip).country.iso_code or ""
    except ValueError:
        return ""
    except Exception as exc:  # an unreadable database must not stop payments
        if exc.__class__.__name__ != "AddressNotFoundError":
            logger.warning("GeoIP lookup failed: %s", exc.__class__.__name__)
        return ""
