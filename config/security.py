from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:{tiles}; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def tile_origin(url: str) -> str:
    """The origin map tiles come from, for img-src: exactly the host of MAP_TILE_URL (a Leaflet
    `{s}` subdomain placeholder becomes `*` for that one host); '' for none or a same-origin path."""
    parts = urlsplit(url.replace("{s}", "subdomain-placeholder"))
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc.replace('subdomain-placeholder', '*')}"


@cache
def policy() -> str:
    origin = tile_origin(getattr(settings, "MAP_TILE_URL", ""))
    return POLICY.format(tiles=f" {origin}" if origin else "")


class ContentSecurityPolicyMiddleware:
    """No inline script anywhere: user content can never become code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault(
                "Content-Security-Policy", getattr(settings, "CONTENT_SECURITY_POLICY", None) or policy()
            )
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response
