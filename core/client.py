"""The address of the person making a request, also behind the TLS proxy in front of the site.

Every feature that keys on a client address (the patient rate limit, django-axes lockouts, the
audit trail) asks here, so they all agree on who the client is.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The client's IP address: with N trusted proxies in front, the N-th hop from the right of
    X-Forwarded-For (the one our outermost proxy saw); otherwise, or when that hop is missing or
    not an IP address, REMOTE_ADDR.

    Hops further left were written by the client and cannot be trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUFFLES_TRUSTED_PROXIES
    if trusted <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < trusted:
        return remote
    return _ip_address(hops[-trusted]) or remote


def _ip_address(value: str) -> str:
    """The address in its normal form, or "" for anything else (names, ports, scoped addresses)."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return ""
    # A scope ("fe80::1%eth0") has no meaning beyond the proxy and can be arbitrarily long.
    if getattr(address, "scope_id", None):
        return ""
    return str(address)
