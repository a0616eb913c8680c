"""Which browser `Origin` may act on this site: the site itself (scheme, host and port) or one
listed in CSRF_TRUSTED_ORIGINS. Shared by the socket handshake and the HTTP routes that act on
the session cookie (sign-in, registration, sign-out).

A browser always sends `Origin` on a WebSocket handshake and on a cross-site POST; clients
that send none are not browsers and carry no ambient cookie worth protecting, so they pass.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_normalize(origin: str) -> str | None:
    """`scheme://host[:port]` in lower case without the scheme's default port; None if not one."""
    try:
        parsed = urlsplit(origin.strip())
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname or parsed.path not in ("", "/"):
        return None
    host = parsed.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != DEFAULT_PORTS[parsed.scheme]:
        host = f"{host}:{port}"
    return f"{parsed.scheme}://{host}"


def origin_trusted(origin: str, own: str | None) -> bool:
    normalized = origin_normalize(origin)
    if normalized is None:
        return False
    if own is not None and normalized == origin_normalize(own):
        return True
    return normalized in {origin_normalize(trusted) for trusted in settings.CSRF_TRUSTED_ORIGINS}


def _proxy_says_https(headers: dict[bytes, bytes]) -> bool | None:
    """What SECURE_PROXY_SSL_HEADER says (None when not configured), as Django reads it for HTTP."""
    if not settings.SECURE_PROXY_SSL_HEADER:
        return None
    name, value = settings.SECURE_PROXY_SSL_HEADER
    header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
    given = headers.get(header, b"").decode("latin-1").split(",")[0].strip()
    return given == value


def socket_own_origin(scope) -> str | None:
    """The origin this handshake reached (None when its Host is not an allowed host)."""
    headers = dict(scope.get("headers", []))
    host = headers.get(b"host", b"").decode("latin-1")
    domain, _ = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    secure = _proxy_says_https(headers)
    if secure is None:
        secure = scope.get("scheme") in ("wss", "https")
    return f"{'https' if secure else 'http'}://{host}"


def socket_origin_allowed(scope) -> bool:
    origin = dict(scope.get("headers", [])).get(b"origin")
    if origin is None:
        return True
    return origin_trusted(origin.decode("latin-1"), socket_own_origin(scope))


def request_origin_allowed(request: HttpRequest) -> bool:
    """For an HTTP request that acts on the session cookie."""
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin_trusted(origin, f"{request.scheme}://{request.get_host()}")
