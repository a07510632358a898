"""Serving the metrics to Prometheus.

All three entry points delegate to prometheus_client, which picks the
exposition format from the scraper's ``Accept`` header: the Prometheus text
format 0.0.4 by default, OpenMetrics when the scraper asks for
``application/openmetrics-text`` (as Prometheus does), each with its own
``Content-Type``.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, make_asgi_app, start_http_server
from prometheus_client.exposition import choose_encoder

from . import names
from .metrics import resolve_registry

# (scope, receive, send) -> awaitable, as the ASGI specification defines an app.
ASGIApp = Callable[..., Awaitable[None]]


def start_metrics_server(
    port: int = names.METRICS_PORT,
    addr: str = "0.0.0.0",
    registry: CollectorRegistry | None = None,
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` on ``addr:port`` from a daemon thread.

    The default port is the one the mesh PodMonitor scrapes (prometheus_client
    answers on any path, ``/metrics`` included). ``port=0`` binds
    a free port (read it from ``server.server_port``). Stop the server with
    ``server.shutdown()`` followed by ``server.server_close()``.
    """
    return start_http_server(port, addr=addr, registry=resolve_registry(registry))


def metrics_app(registry: CollectorRegistry | None = None) -> ASGIApp:
    """An ASGI app answering with the registry's metrics, for FastAPI/Starlette agents.

    Mount it at ``names.METRICS_PATH``: ``app.mount("/metrics", metrics_app())``.
    """
    return make_asgi_app(registry=resolve_registry(registry))


def render_metrics(
    registry: CollectorRegistry | None = None, accept: str | None = None
) -> tuple[bytes, str]:
    """The registry's metrics in the format ``accept`` asks for, and its content type.

    For agents whose web framework is neither WSGI nor ASGI.
    """
    encode, content_type = choose_encoder(accept or "")
    return encode(resolve_registry(registry)), content_type
