"""The address of the person making a request, as the trusted proxies report it.

Behind nginx every request comes from 127.0.0.1; the client's own address is the entry
that the last trusted proxy appended to ``X-Forwarded-For``. How many proxies are
trusted (``ALLAUTH_TRUSTED_PROXY_COUNT``, or a header such as ``X-Real-IP`` set by the
proxy, ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``) is read from the environment by the
settings. With no trusted proxy, ``X-Forwarded-For`` is ignored: a client cannot pick
the address it is counted under. allauth's rate limits read the address through the
same adapter, so every part of the project sees one address for one request.
"""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied


def client_ip(request):
    """The client's address (a string), or ``None`` when the request carries none."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
