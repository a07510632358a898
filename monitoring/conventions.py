"""Every name the program uses, in one place.

Metric names and label keys the agents emit come from
:mod:`mcp_mesh_metrics.names` (the instrumentation library), so rules and
agents cannot drift apart. Everything else the program names (charts,
releases, secrets, selector labels, component types, recording-rule prefixes)
is defined here.
"""

from __future__ import annotations

from mcp_mesh_metrics.names import *  # noqa: F401,F403 - re-exported metric names
from mcp_mesh_metrics import names as metric_names

PROJECT_NAME = "mcp-mesh-monitoring"

# Pulumi component type tokens.
COMPONENT_PREFIX = "mcp-mesh:monitoring"
MONITORING_STACK_TYPE = f"{COMPONENT_PREFIX}:MonitoringStack"

# Helm charts.
CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
KUBE_PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
PROMETHEUS_OPERATOR_CRDS_CHART = "prometheus-operator-crds"
# The CRD chart's release name (it is cluster-scoped content; one per cluster).
CRDS_RELEASE_NAME = "prometheus-operator-crds"

# --------------------------------------------------------------------------
# Selector contract
# --------------------------------------------------------------------------
# The Prometheus of a stack selects ServiceMonitors, PodMonitors, Probes,
# PrometheusRules and ScrapeConfigs by one label, ``release: <release name>``,
# and only in the monitoring namespace. The selectors are written out
# explicitly in the Helm values (not left to the chart's
# ``*SelectorNilUsesHelmValues`` switches, which the guide turns off for
# monitors only and so leaves its PrometheusRules unselected), and every
# custom resource the program creates carries the label and lives in that
# namespace. The chart labels its own monitors and rules the same way, so they
# stay selected too.
SELECTOR_LABEL = "release"
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace
SELECTED_KINDS = ("serviceMonitor", "podMonitor", "probe", "rule", "scrapeConfig")


def selector_labels(release_name: str) -> dict[str, str]:
    """Labels a custom resource needs to be picked up by the stack's Prometheus."""
    return {SELECTOR_LABEL: release_name}


# Labels on every object the program creates itself.
COMMON_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": PROJECT_NAME,
}

# --------------------------------------------------------------------------
# Scrape jobs (the ``job`` label of every mesh target; all start with JOB_PREFIX,
# which the target-down alert and federation match on)
# --------------------------------------------------------------------------
JOB_PREFIX = "mcp-mesh"
JOB_AGENTS = "mcp-mesh-agents"  # upstream agents' own gauges on their http port
JOB_AGENT_METRICS = "mcp-mesh-agent-metrics"  # the instrumentation library's port
JOB_REGISTRY = "mcp-mesh-registry"  # registry /metrics (only when it serves them)
JOB_REGISTRY_PROBE = "mcp-mesh-registry-probe"  # blackbox probe of the registry's /health

# --------------------------------------------------------------------------
# External labels and aggregated series
# --------------------------------------------------------------------------
LABEL_CLUSTER = "cluster"
LABEL_REGION = "region"
LABEL_NAMESPACE = "namespace"
LABEL_POD = "pod"
DEFAULT_REGION = "local"
# Level prefix of every recording rule; what federation and remote write keep.
RECORDING_PREFIX = "mcp_mesh:"
AGGREGATED_SERIES_REGEX = "mcp_mesh:.*"

# --------------------------------------------------------------------------
# Secrets (Pulumi config keys, Kubernetes Secret names and keys)
# --------------------------------------------------------------------------
SECRET_GRAFANA_ADMIN_PASSWORD = "grafanaAdminPassword"
SECRET_SLACK_WEBHOOK = "slackWebhookUrl"
SECRET_REMOTE_WRITE_CREDENTIALS = "remoteWriteCredentials"

GRAFANA_ADMIN_USER_KEY = "admin-user"
GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"
SLACK_WEBHOOK_KEY = "webhook-url"
REMOTE_WRITE_USERNAME_KEY = "username"
REMOTE_WRITE_PASSWORD_KEY = "password"
# Alertmanager mounts every Secret listed in alertmanagerSpec.secrets here.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"
ALERTMANAGER_DEFAULT_RECEIVER = "default"
ALERTMANAGER_NULL_RECEIVER = "null"
GRAFANA_PASSWORD_LENGTH = 32


def grafana_admin_secret_name(release_name: str) -> str:
    return f"{release_name}-grafana-admin"


def slack_secret_name(release_name: str) -> str:
    return f"{release_name}-alertmanager-slack"


def remote_write_secret_name(release_name: str, target: str) -> str:
    return f"{release_name}-remote-write-{target}"


# --------------------------------------------------------------------------
# In-cluster names the chart derives from the release name
# --------------------------------------------------------------------------
PROMETHEUS_PORT = 9090


def chart_fullname(release_name: str) -> str:
    """kube-prometheus-stack's ``fullname`` helper: the prefix of its objects.

    The chart uses the release name when it already contains the chart name,
    else ``<release>-<chart>``, truncated to 26 characters and stripped of a
    trailing '-'.
    """
    if KUBE_PROMETHEUS_STACK_CHART in release_name:
        name = release_name
    else:
        name = f"{release_name}-{KUBE_PROMETHEUS_STACK_CHART}"
    return name[:26].rstrip("-")


def prometheus_service_name(release_name: str) -> str:
    return f"{chart_fullname(release_name)}-prometheus"


def prometheus_url(release_name: str, namespace: str) -> str:
    """In-cluster URL of the stack's Prometheus."""
    return f"http://{prometheus_service_name(release_name)}.{namespace}.svc:{PROMETHEUS_PORT}"


