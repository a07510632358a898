"""Serving the metrics to Prometheus.

All three entry points delegate to prometheus_client, which picks the
exposition format from the scraper's ``Accept`` header: the Prometheus text
format 0.0.4 by default, OpenMetrics when the scraper asks for
``application/openmetrics-text`` (as Prometheus does), each with its own
``Content-Type``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, make_asgi_app, start_http_server
from prometheus_client.exposition import choose_encoder

from . import names
from .metrics import resolve_registry

# (scope, receive, send) -> awaitable, as the ASGI specification defines an app.
ASGIApp = Callable[..., Awaitable[None]]


def metrics_server_address(
    port: int | None = None, addr: str | None = None, environ: Mapping[str, str] | None = None
) -> tuple[str, int]:
    """``(addr, port)`` :func:`start_metrics_server` listens on.

    An argument wins; else the environment variable (``MCP_MESH_METRICS_ADDR``,
    ``MCP_MESH_METRICS_PORT``); else ``0.0.0.0`` and 9464, the port the mesh's
    agent pods are annotated with. A port that is not a number from 0 to
    65535 is a ``ValueError`` naming the variable.
    """
    env = os.environ if environ is None else environ
    if port is None:
        raw = env.get(names.METRICS_PORT_ENV, "").strip()
        if not raw:
            port = names.METRICS_PORT
        elif raw.isdigit() and int(raw) <= 65535:
            port = int(raw)
        else:
            raise ValueError(f"{names.METRICS_PORT_ENV}: expected a port number from 0 to 65535, got {raw!r}")
    if addr is None:
        addr = env.get(names.METRICS_ADDR_ENV, "").strip() or names.METRICS_ADDR
    return addr, port


def start_metrics_server(
    port: int | None = None,
    addr: str | None = None,
    registry: CollectorRegistry | None = None,
) -> tuple[WSGIServer, threading.Thread]:
    """Serve ``/metrics`` from a daemon thread; return ``(server, thread)``.

    Listens where :func:`metrics_server_address` says: by default on every
    interface, port 9464 (prometheus_client answers on any path, ``/metrics``
    included). ``port=0`` binds a free port (read it from
    ``server.server_port``). Stop the server with ``server.shutdown()``
    followed by ``server.server_close()``.
    """
    addr, port = metrics_server_address(port, addr)
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
