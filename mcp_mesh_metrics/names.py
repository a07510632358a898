"""Metric names, label keys and bucket layouts the agents emit.

This is the single source of these names: the instrumentation library
registers its metrics from it, and ``monitoring.conventions`` re-exports it so
that every recording rule, alert and relabeling reads exactly what the agents
write. It imports nothing beyond the standard library, so the monitoring model
can use it without pulling in prometheus_client or pulumi.
"""

from __future__ import annotations

# Prefix of every series the instrumentation library emits.
METRIC_PREFIX = "mcp_mesh_"

# Label keys.
LABEL_AGENT = "agent"
LABEL_METHOD = "method"
LABEL_STATUS = "status"
LABEL_TYPE = "type"
LABEL_VERSION = "version"
LABEL_CAPABILITIES = "capabilities"
LABEL_CURRENCY = "currency"
LABEL_PRODUCT = "product"
LABEL_API_PROVIDER = "api_provider"
LABEL_ENDPOINT = "endpoint"
LABEL_CACHE_TYPE = "cache_type"

# Values of the ``status`` label of the request counter.
STATUS_SUCCESS = "success"
STATUS_ERROR = "error"

# Value every bounded label folds into once it would exceed its allowed set.
OTHER_LABEL_VALUE = "other"

# Default value of the ``type`` label of the connections gauge: requests an
# agent is serving for its clients (the guide's ``type="client"``).
CONNECTION_TYPE_CLIENT = "client"

# Core metrics (names as prometheus_client is given them; a Counter named
# ``mcp_mesh_requests`` is exposed as ``mcp_mesh_requests_total``).
AGENT_INFO = "mcp_mesh_agent"  # exposed as mcp_mesh_agent_info
AGENT_INFO_SERIES = "mcp_mesh_agent_info"
REQUESTS = "mcp_mesh_requests"
REQUESTS_TOTAL = "mcp_mesh_requests_total"
REQUEST_DURATION = "mcp_mesh_request_duration_seconds"
REQUEST_DURATION_BUCKET = "mcp_mesh_request_duration_seconds_bucket"
CONNECTIONS_ACTIVE = "mcp_mesh_connections_active"
REGISTRY_AGENTS = "mcp_mesh_registry_agents_total"

# Upstream MCP Mesh agents' own hand-written gauges (served on their http port).
UPSTREAM_UP = "mcp_mesh_up"
UPSTREAM_WRAPPERS = "mcp_mesh_wrappers_total"

# Opt-in business metrics.
BUSINESS_REVENUE = "mcp_mesh_business_revenue"  # exposed with _total
BUSINESS_REVENUE_TOTAL = "mcp_mesh_business_revenue_total"
BUSINESS_API_CALLS = "mcp_mesh_business_api_calls"  # exposed with _total
BUSINESS_API_CALLS_TOTAL = "mcp_mesh_business_api_calls_total"
CACHE_HIT_RATE = "mcp_mesh_cache_hit_rate"

# Label sets, in the order the metrics declare them.
REQUESTS_LABELS = (LABEL_AGENT, LABEL_METHOD, LABEL_STATUS)
REQUEST_DURATION_LABELS = (LABEL_AGENT, LABEL_METHOD)
CONNECTIONS_LABELS = (LABEL_AGENT, LABEL_TYPE)
REGISTRY_AGENTS_LABELS = (LABEL_STATUS,)
BUSINESS_REVENUE_LABELS = (LABEL_AGENT, LABEL_CURRENCY, LABEL_PRODUCT)
BUSINESS_API_CALLS_LABELS = (LABEL_AGENT, LABEL_API_PROVIDER, LABEL_ENDPOINT)
CACHE_HIT_RATE_LABELS = (LABEL_AGENT, LABEL_CACHE_TYPE)

# Latency buckets of the request-duration histogram, in seconds (the guide's).
REQUEST_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# Port and path where the library serves /metrics inside an agent pod: the
# port the mesh PodMonitor scrapes on pods annotated prometheus.io/scrape
# without a prometheus.io/port. It is distinct from the agent's own HTTP port
# (8080 upstream), which serves at most the two upstream gauges.
METRICS_PORT = 9464
METRICS_PATH = "/metrics"
# Where start_metrics_server() listens unless told otherwise: every interface,
# so that Prometheus reaches it at the pod's IP.
METRICS_ADDR = "0.0.0.0"
# Environment variables that override those defaults (a container's env).
METRICS_PORT_ENV = "MCP_MESH_METRICS_PORT"
METRICS_ADDR_ENV = "MCP_MESH_METRICS_ADDR"
