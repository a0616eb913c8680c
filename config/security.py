import csv

from django.conf import settings

# Spreadsheets run a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """No inline script anywhere: user content can never become code."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", getattr(settings, "CONTENT_SECURITY_POLICY", POLICY))
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character is quoted away."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS:
        text = "'" + text
    return text


class SafeCsvWriter:
    """csv.writer whose every cell goes through `csv_cell`."""

    def __init__(self, out) -> None:
        self.writer = csv.writer(out)

    def writerow(self, row: list) -> None:
        self.writer.writerow([csv_cell(cell) for cell in row])
