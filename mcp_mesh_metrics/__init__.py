"""Prometheus instrumentation for MCP Mesh agents.

Emits the request, latency, connection, registry and agent-info metrics that
the mesh's recording rules, alerts and dashboards read, with the names and
label keys of :mod:`mcp_mesh_metrics.names`. Importing the package registers
nothing; metrics are registered on the registry chosen by the caller, or on
the library's default registry the first time it is used.
"""

from . import names
from .exposition import metrics_app, metrics_server_address, render_metrics, start_metrics_server
from .labels import DEFAULT_LABEL_LIMIT, LabelGuard
from .metrics import BusinessMetrics, MeshMetrics, default_registry, track_request

__all__ = [
    "DEFAULT_LABEL_LIMIT",
    "BusinessMetrics",
    "LabelGuard",
    "MeshMetrics",
    "default_registry",
    "metrics_app",
    "metrics_server_address",
    "names",
    "render_metrics",
    "start_metrics_server",
    "track_request",
]
