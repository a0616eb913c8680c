"""GET /metrics: Prometheus text for the operator's scraper, refused to everyone else.

Allowed: `Authorization: Bearer <METRICS_TOKEN>`, or a direct connection from METRICS_ALLOWED_NETWORKS.
A request that came through a proxy (it carries X-Forwarded-For) never counts as a direct one:
behind nginx on the same host every client would otherwise look local.
"""

from __future__ import annotations

import ipaddress
import os

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from accounts.selectors import token_from_authorization


def metrics_allowed(request: HttpRequest) -> bool:
    given = token_from_authorization(request.headers.get("Authorization", ""))
    if settings.METRICS_TOKEN and given is not None:
        return constant_time_compare(given, settings.METRICS_TOKEN)
    if "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        message = "metrics need the METRICS_TOKEN bearer token or a direct connection from an allowed network"
        return JsonResponse({"code": "forbidden", "message": message}, status=403)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every process of this host writes there: one scrape sums them all.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
