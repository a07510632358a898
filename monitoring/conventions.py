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

# Stack outputs a federated stack exports and a federating stack reads.
OUTPUT_CLUSTER = "cluster"
OUTPUT_REGION = "region"
OUTPUT_FEDERATION_ENDPOINT = "federationEndpoint"
OUTPUT_FEDERATION_SCHEME = "federationScheme"
OUTPUT_FEDERATION_AUTH_SECRET_NAME = "federationAuthSecretName"

# Pulumi component type tokens.
COMPONENT_PREFIX = "mcp-mesh:monitoring"
MONITORING_STACK_TYPE = f"{COMPONENT_PREFIX}:MonitoringStack"

# Helm charts.
CHART_REPOSITORY = "https://prometheus-community.github.io/helm-charts"
KUBE_PROMETHEUS_STACK_CHART = "kube-prometheus-stack"
PROMETHEUS_OPERATOR_CRDS_CHART = "prometheus-operator-crds"
# Kubernetes minor versions the program supports; the chart layer of the tests
# validates every object of every stack against each one's schemas.
KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35")
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
# The custom-resource kinds the program creates, each with the prefix of its
# prometheusSpec selector values (``<prefix>Selector``, ``<prefix>NamespaceSelector``,
# ``<prefix>SelectorNilUsesHelmValues``). The one registry of kinds: the Helm
# values' selectors, the typed classes (monitoring.resources.CustomResource
# refuses a kind not listed here), the CRD-schema and selection tests all read it.
CUSTOM_RESOURCE_KINDS = {
    "ServiceMonitor": "serviceMonitor",
    "PodMonitor": "podMonitor",
    "Probe": "probe",
    "PrometheusRule": "rule",
    "ScrapeConfig": "scrapeConfig",
}
SELECTED_KINDS = tuple(CUSTOM_RESOURCE_KINDS.values())


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
JOB_FEDERATE = "federate"  # the global stack's /federate job (the guide's name)

# Global-stack alerts about the regions it federates.
GROUP_FEDERATION = "mcp_mesh.federation"
ALERT_REGION_NOT_FEDERATING = "MCPMeshRegionNotFederating"
ALERT_REGION_AGGREGATES_STALE = "MCPMeshRegionAggregatesStale"
ALERT_FEDERATION_TARGETS_MISSING = "MCPMeshFederationTargetsMissing"
# The guide's two kubernetes_sd jobs (opt-in). Named apart from the monitors'
# jobs: a pod both select would otherwise be stored twice under one job.
JOB_REGISTRY_ENDPOINTS = "mcp-mesh-registry-endpoints"
JOB_ANNOTATED_PODS = "mcp-mesh-annotated-pods"
# Jobs whose targets can be down for good while nothing is wrong: upstream
# agents answer /metrics on their http port with 404 unless started in a mode
# that serves it, and the upstream registry serves no /metrics at all (its
# availability is the probe's). A down target of these jobs is not an alert.
JOBS_DOWN_EXPECTED = (JOB_AGENTS, JOB_REGISTRY_ENDPOINTS)

# --------------------------------------------------------------------------
# Upstream MCP Mesh as deployed (shared/reference/mcp-mesh-upstream.md)
# --------------------------------------------------------------------------
MESH_NAMESPACE = "mcp-mesh"
# Agents and registry both name their Service port `http`.
MESH_HTTP_PORT_NAME = "http"
MESH_REGISTRY_PORT = 8000
MESH_REGISTRY_HEALTH_PATH = "/health"
MESH_AGENT_CHART = "mcp-mesh-agent"
MESH_REGISTRY_CHART = "mcp-mesh-registry"
# The release of the `mcp-mesh-core` umbrella chart that installs the registry:
# the agent chart's default registry host is `<global.coreReleaseName>-mcp-mesh-registry`
# with `coreReleaseName: mcp-core`.
MESH_CORE_RELEASE = "mcp-core"


def mesh_chart_fullname(release_name: str, chart: str) -> str:
    """The upstream MCP Mesh charts' ``fullname`` helper: the name of their Deployment and Service.

    The release name when it already contains the chart name, else
    ``<release>-<chart>``, truncated to 63 characters, without a trailing '-'.
    """
    name = release_name if chart in release_name else f"{release_name}-{chart}"
    return name[:63].rstrip("-")


# The registry Service an agent installed with the chart's defaults talks to.
MESH_REGISTRY_SERVICE = mesh_chart_fullname(MESH_CORE_RELEASE, MESH_REGISTRY_CHART)
# The agent's identity is its mesh name, the `agent` label its own series carry
# (the name given to @mesh.agent, which the instrumentation library and the
# upstream gauges write). Series that carry none (`up`, the scrape series,
# anything an agent exposes without an `agent` label) get the value of this
# pod label instead: the Helm release, the only label that tells upstream
# agent pods apart (`app.kubernetes.io/name` is the same for every agent).
MESH_AGENT_NAME_LABEL = "app.kubernetes.io/instance"
MESH_AGENT_SELECTOR = {"app.kubernetes.io/name": MESH_AGENT_CHART, "app.kubernetes.io/component": "agent"}
MESH_REGISTRY_SELECTOR = {"app.kubernetes.io/name": MESH_REGISTRY_CHART, "app.kubernetes.io/component": "registry"}

# --------------------------------------------------------------------------
# Blackbox exporter (probes endpoints that serve no /metrics)
# --------------------------------------------------------------------------
BLACKBOX_EXPORTER_CHART = "prometheus-blackbox-exporter"
# The release name contains the chart name, so the chart's fullname helper
# names the Service after the release alone.
BLACKBOX_EXPORTER_RELEASE_NAME = "prometheus-blackbox-exporter"
BLACKBOX_EXPORTER_PORT = 9115
BLACKBOX_MODULE_HTTP_2XX = "http_2xx"


def blackbox_exporter_address(namespace: str) -> str:
    """host:port of the blackbox exporter Service (a Probe's prober URL)."""
    return f"{BLACKBOX_EXPORTER_RELEASE_NAME}.{namespace}.svc:{BLACKBOX_EXPORTER_PORT}"


def registry_health_url(service: str, namespace: str) -> str:
    """In-cluster URL of the registry's health endpoint."""
    return f"http://{service}.{namespace}.svc:{MESH_REGISTRY_PORT}{MESH_REGISTRY_HEALTH_PATH}"

# --------------------------------------------------------------------------
# External labels and aggregated series
# --------------------------------------------------------------------------
LABEL_CLUSTER = "cluster"
LABEL_REGION = "region"
LABEL_NAMESPACE = "namespace"
LABEL_POD = "pod"
LABEL_SERVICE = "service"
# Where Prometheus keeps a scraped label that clashes with a target label of
# the same name (honor_labels: false): the agent's own `agent` label lands here
# first, and the agent jobs' metric relabelings move it back (see scrape.py).
LABEL_EXPORTED_AGENT = f"exported_{metric_names.LABEL_AGENT}"
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
SECRET_PAGERDUTY_ROUTING_KEY = "pagerdutyRoutingKey"
SECRET_FEDERATION_BASIC_AUTH = "federationBasicAuth"
# Header carrying a remote-write target's tenant (Mimir, Cortex, Loki).
TENANT_HEADER = "X-Scope-OrgID"
SECRET_FEDERATION_CA = "federationCa"
FEDERATION_CA_KEY = "ca.crt"

GRAFANA_ADMIN_USER_KEY = "admin-user"
GRAFANA_ADMIN_PASSWORD_KEY = "admin-password"
SLACK_WEBHOOK_KEY = "webhook-url"
PAGERDUTY_ROUTING_KEY_KEY = "routing-key"
REMOTE_WRITE_USERNAME_KEY = "username"
REMOTE_WRITE_PASSWORD_KEY = "password"
# Alertmanager mounts every Secret listed in alertmanagerSpec.secrets here.
ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets"
ALERTMANAGER_DEFAULT_RECEIVER = "default"
ALERTMANAGER_NULL_RECEIVER = "null"
# Receivers by severity: critical alerts page, warnings open tickets.
ALERTMANAGER_PAGE_RECEIVER = "pages"
ALERTMANAGER_TICKET_RECEIVER = "tickets"
# Labels that make two alerts "the same alert" for inhibition (a critical one
# silences the warning one): its name, what it is about, and where.
INHIBIT_EQUAL_LABELS = ("alertname", "cluster", "namespace", "agent", "slo")
GRAFANA_PASSWORD_LENGTH = 32
# Grafana as kube-prometheus-stack 88.5.3 deploys it (its grafana subchart's
# appVersion); the admin-password init container runs the same image, and the
# chart layer of the tests checks that the two stay the same.
GRAFANA_IMAGE = "docker.io/grafana/grafana:13.2.0"
# Helm leaves an object with this annotation in place on uninstall.
HELM_KEEP_ANNOTATION = {"helm.sh/resource-policy": "keep"}


def grafana_admin_secret_name(release_name: str) -> str:
    return f"{release_name}-grafana-admin"


def slack_secret_name(release_name: str) -> str:
    return f"{release_name}-alertmanager-slack"


def pagerduty_secret_name(release_name: str) -> str:
    return f"{release_name}-alertmanager-pagerduty"


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


def grafana_fullname(release_name: str) -> str:
    """The grafana subchart's ``fullname``: its Deployment, Service and volume claim."""
    return release_name if "grafana" in release_name else f"{release_name}-grafana"


def prometheus_volume_claim_regex(release_name: str) -> str:
    """The volume claims the operator creates for the stack's Prometheus, one per replica:
    ``<claim template prometheus-<name>-db>-<StatefulSet prometheus-<name>>-<ordinal>``."""
    name = prometheus_service_name(release_name)
    return f"prometheus-{name}-db-prometheus-{name}-[0-9]+"


def prometheus_url(release_name: str, namespace: str) -> str:
    """In-cluster URL of the stack's Prometheus."""
    return f"http://{prometheus_service_name(release_name)}.{namespace}.svc:{PROMETHEUS_PORT}"


# --------------------------------------------------------------------------
# Rules: groups, recording rules, alerts (monitoring/rules.py builds them)
# --------------------------------------------------------------------------
# Rule groups; each becomes one PrometheusRule named after it (see rule_cr_name).
GROUP_MESH_RULES = "mcp_mesh.rules"
GROUP_MESH_SLO = "mcp_mesh.slo"
GROUP_MESH_HEALTH = "mcp_mesh.health"
# The guide's group name and PrometheusRule name (prometheus-health) for the
# alerts on Prometheus itself.
GROUP_PROMETHEUS_HEALTH = "prometheus.rules"
GROUP_CUSTOM = "mcp_mesh.custom"  # the stack's customRules setting
# The monitoring stack's own volumes against its settings.
GROUP_VOLUMES = "monitoring.volumes"
# The SLOs of the `slos` setting (monitoring/slo.py): the short burn-rate
# windows at the evaluation interval, the long ones every RATE_WINDOW.
GROUP_MESH_SLO_RATIOS = "mcp_mesh.slo_ratios"
GROUP_MESH_SLO_WINDOWS = "mcp_mesh.slo_windows"
# Alerts on what users of the mesh feel (errors, latency, silence), per agent.
GROUP_MESH_SYMPTOMS = "mcp_mesh.symptoms"

# Recording rules (level:metric:operations; the guide's names, which
# federation and the dashboards read).
RECORD_REQUEST_RATE = "mcp_mesh:request_rate"
RECORD_ERROR_RATE = "mcp_mesh:error_rate"
RECORD_REQUEST_DURATION_P95 = "mcp_mesh:request_duration:p95"
RECORD_CONNECTIONS = "mcp_mesh:connections:sum"
RECORD_REGISTRY_HEALTH_SCORE = "mcp_mesh:registry:health_score"
RECORD_SLO_AVAILABILITY = "mcp_mesh:slo:availability"
RECORD_SLO_LATENCY = "mcp_mesh:slo:latency"
# How many mesh targets have each value of `up`, per agent, namespace and job
# (count_values into the label below: {up="1"} targets answering, {up="0"}
# failing; their sum is every target). What federation ships instead of one
# `up` series per pod.
RECORD_TARGETS_BY_UP = "mcp_mesh:up:count_values"
LABEL_UP_VALUE = "up"
# Per SLO of the `slos` setting (label LABEL_SLO): its objective (a share of
# good events, one series per SLO, for dashboards) and, per agent, the share
# of its error budget left over the SLO's window.
RECORD_SLO_OBJECTIVE = "mcp_mesh:slo:objective"
RECORD_SLO_BUDGET_REMAINING = "mcp_mesh:slo:error_budget_remaining"
LABEL_SLO = "slo"
# The long window of a burn-rate alert (1h, 6h, 1d, 3d): tells its rows apart.
LABEL_BURN_WINDOW = "window"

# Alerts (each has a section in docs/runbooks.md, anchored by its lower-cased name).
# The guide's name and meaning: a mesh target (job mcp-mesh*) unreachable
# for 5m. Evaluated where the targets are scraped (group mcp_mesh.health of
# the regional stacks), not in prometheus.rules: on the global stack the same
# federated `up` series would alert a second time.
ALERT_TARGET_DOWN = "PrometheusTargetDown"
ALERT_REGISTRY_DOWN = "MCPMeshRegistryDown"
ALERT_REGISTRY_NO_DATA = "MCPMeshRegistryNoData"
ALERT_AGENTS_NO_DATA = "MCPMeshAgentsNoData"
ALERT_AGENT_EMPTY_SCRAPE = "MCPMeshAgentEmptyScrape"
ALERT_PROMETHEUS_HIGH_MEMORY = "PrometheusHighMemoryUsage"
ALERT_REMOTE_WRITE_FAILING = "PrometheusRemoteWriteFailing"
ALERT_REMOTE_WRITE_BEHIND = "PrometheusRemoteWriteBehind"
ALERT_RULE_EVALUATION_FAILURES = "PrometheusRuleEvaluationFailures"
ALERT_VOLUME_SIZE_MISMATCH = "MonitoringVolumeSizeMismatch"
ALERT_VOLUME_CLASS_MISMATCH = "MonitoringVolumeClassMismatch"
# kube-state-metrics' series of volume claims (the chart deploys and scrapes it).
PVC_REQUESTED_BYTES = "kube_persistentvolumeclaim_resource_requests_storage_bytes"
PVC_INFO = "kube_persistentvolumeclaim_info"
# An SLO's error budget burns too fast (page: critical, ticket: warning; one
# name, so a page inhibits the ticket of the same SLO and agent).
ALERT_SLO_BUDGET_BURN = "MCPMeshSLOErrorBudgetBurn"
# Symptom alerts (group mcp_mesh.symptoms).
ALERT_AGENT_HIGH_ERROR_RATE = "MCPMeshAgentHighErrorRate"
ALERT_AGENT_HIGH_LATENCY = "MCPMeshAgentHighLatency"
ALERT_AGENT_TRAFFIC_STOPPED = "MCPMeshAgentTrafficStopped"
ALERT_REGISTRY_HEALTH_LOW = "MCPMeshRegistryHealthLow"
ALERT_FEWER_AGENTS_REPORTING = "MCPMeshFewerAgentsReporting"
# The per-agent rate tables: the one pass over the raw request counter and
# histogram that every per-agent record above is derived from. Their level
# spells out the labels they keep, and they do not start with
# RECORDING_PREFIX: they are the regional server's working set, neither
# federated nor remote-written.
RATE_TABLE_LEVEL_REQUESTS = "agent_namespace_status"
RATE_TABLE_LEVEL_BUCKETS = "agent_namespace_le"
# The SLOs' working set (monitoring/slo.py): per SLO, agent and namespace, the
# good and bad event rates and the error ratios of the burn-rate windows.
# Regional like the rate tables: only the objective and the budget left
# (RECORD_SLO_*) leave the region.
SLO_LEVEL = "slo_agent_namespace"


def requests_rate_table(window: str) -> str:
    """Requests/s per (agent, namespace, status) over ``window`` (rate5m: the raw pass)."""
    return f"{RATE_TABLE_LEVEL_REQUESTS}:{REQUESTS}:rate{window}"


def request_duration_rate_table(window: str) -> str:
    """Observations/s per (agent, namespace, le) of the request-duration histogram over ``window``."""
    return f"{RATE_TABLE_LEVEL_BUCKETS}:{REQUEST_DURATION_BUCKET}:rate{window}"


def slo_requests_rate(window: str) -> str:
    """Events/s an SLO counts (requests, or observed durations) per (slo, agent, namespace) over ``window``."""
    return f"{SLO_LEVEL}:{METRIC_PREFIX}slo_requests:rate{window}"


def slo_errors_rate(window: str) -> str:
    """Bad events/s (failed requests, or slower than the threshold) per (slo, agent, namespace) over ``window``."""
    return f"{SLO_LEVEL}:{METRIC_PREFIX}slo_errors:rate{window}"


def slo_requests_increase(window: str) -> str:
    """Events an SLO counted per (slo, agent, namespace) in ``window`` (the hourly tiles of long windows)."""
    return f"{SLO_LEVEL}:{METRIC_PREFIX}slo_requests:increase{window}"


def slo_errors_increase(window: str) -> str:
    """Bad events per (slo, agent, namespace) in ``window``."""
    return f"{SLO_LEVEL}:{METRIC_PREFIX}slo_errors:increase{window}"


def slo_error_ratio(window: str) -> str:
    """Share of an SLO's events that were bad over ``window``, per (slo, agent, namespace)."""
    return f"{SLO_LEVEL}:{METRIC_PREFIX}slo_errors:ratio_rate{window}"


def is_rate_table(record: str) -> bool:
    """Whether ``record`` is regional working set: a rate table (any window) or an SLO's
    event rates and ratios. Neither federated nor remote-written."""
    return record.partition(":")[0] in (RATE_TABLE_LEVEL_REQUESTS, RATE_TABLE_LEVEL_BUCKETS, SLO_LEVEL)


# The guide's rate window, which the tables above record.
RATE_WINDOW = "5m"
RECORD_REQUESTS_RATE_TABLE = requests_rate_table(RATE_WINDOW)
RECORD_REQUEST_DURATION_RATE_TABLE = request_duration_rate_table(RATE_WINDOW)
RATE_TABLES = (RECORD_REQUESTS_RATE_TABLE, RECORD_REQUEST_DURATION_RATE_TABLE)
RECORDING_RULES = (
    *RATE_TABLES,
    RECORD_REQUEST_RATE, RECORD_ERROR_RATE, RECORD_REQUEST_DURATION_P95, RECORD_CONNECTIONS,
    RECORD_REGISTRY_HEALTH_SCORE, RECORD_SLO_AVAILABILITY, RECORD_SLO_LATENCY, RECORD_TARGETS_BY_UP,
    RECORD_SLO_OBJECTIVE, RECORD_SLO_BUDGET_REMAINING,
)
ALERTS = (
    ALERT_TARGET_DOWN, ALERT_REGISTRY_DOWN, ALERT_REGISTRY_NO_DATA, ALERT_AGENTS_NO_DATA,
    ALERT_AGENT_EMPTY_SCRAPE, ALERT_PROMETHEUS_HIGH_MEMORY, ALERT_REMOTE_WRITE_FAILING,
    ALERT_REMOTE_WRITE_BEHIND, ALERT_RULE_EVALUATION_FAILURES, ALERT_VOLUME_SIZE_MISMATCH,
    ALERT_VOLUME_CLASS_MISMATCH, ALERT_SLO_BUDGET_BURN,
    ALERT_AGENT_HIGH_ERROR_RATE, ALERT_AGENT_HIGH_LATENCY, ALERT_AGENT_TRAFFIC_STOPPED, ALERT_REGISTRY_HEALTH_LOW,
    ALERT_FEWER_AGENTS_REPORTING,
)
# Section of docs/runbooks.md for alerts a stack adds through customRules.
RUNBOOK_CUSTOM_ANCHOR = "custom-alerts"

# Alert labels and annotations.
LABEL_SEVERITY = "severity"
SEVERITY_CRITICAL = "critical"
SEVERITY_WARNING = "warning"
ANNOTATION_SUMMARY = "summary"
ANNOTATION_DESCRIPTION = "description"
ANNOTATION_RUNBOOK_URL = "runbook_url"

# The `agent` label value under which the registry's own request metrics
# would be reported (the guide's health score reads them).
REGISTRY_AGENT = "registry"
# Container name of Prometheus in the operator's pods (the operator copies the
# pod's container name into the `container` target label).
PROMETHEUS_CONTAINER = "prometheus"


# PrometheusRules whose name is not derived from their group: the guide's.
_RULE_CR_NAMES = {GROUP_PROMETHEUS_HEALTH: "prometheus-health"}


def rule_cr_name(group: str) -> str:
    """Name of the PrometheusRule holding one rule group (mcp_mesh.rules -> mcp-mesh-rules)."""
    return _RULE_CR_NAMES.get(group) or group.replace("_", "-").replace(".", "-")




# --------------------------------------------------------------------------
# Series Prometheus and the blackbox exporter write about themselves (what the
# health rules and the monitoring-pipeline dashboard read)
# --------------------------------------------------------------------------
UP = "up"
ALERTS_SERIES = "ALERTS"
ALERT_STATE_LABEL = "alertstate"
ALERT_STATE_FIRING = "firing"
PROBE_SUCCESS = "probe_success"
PROBE_DURATION = "probe_duration_seconds"
SCRAPE_SAMPLES_POST_RELABELING = "scrape_samples_post_metric_relabeling"
SCRAPE_SAMPLES_SCRAPED = "scrape_samples_scraped"
SCRAPE_DURATION = "scrape_duration_seconds"
PROCESS_RSS = "process_resident_memory_bytes"
TSDB_HEAD_SERIES = "prometheus_tsdb_head_series"
TSDB_SAMPLES_APPENDED = "prometheus_tsdb_head_samples_appended_total"
TSDB_STORAGE_BLOCKS_BYTES = "prometheus_tsdb_storage_blocks_bytes"
RULE_GROUP_LAST_DURATION = "prometheus_rule_group_last_duration_seconds"
RULE_EVALUATION_FAILURES = "prometheus_rule_evaluation_failures_total"
REMOTE_WRITE_FAILED = "prometheus_remote_storage_samples_failed_total"
REMOTE_WRITE_SENT = "prometheus_remote_storage_samples_total"
REMOTE_WRITE_HIGHEST_TS = "prometheus_remote_storage_highest_timestamp_in_seconds"
REMOTE_WRITE_SENT_TS = "prometheus_remote_storage_queue_highest_sent_timestamp_seconds"
REMOTE_WRITE_QUEUE_LABELS = ("remote_name", "url")
HTTP_REQUESTS = "prometheus_http_requests_total"
HTTP_HANDLER_LABEL = "handler"
FEDERATE_HANDLER = "/federate"
RULE_GROUP_LABEL = "rule_group"

# --------------------------------------------------------------------------
# Grafana dashboards (ConfigMaps the kube-prometheus-stack Grafana sidecar imports)
# --------------------------------------------------------------------------
# The sidecar imports every ConfigMap carrying this label with this value, from
# the namespace it searches (the monitoring namespace, set explicitly in the
# Helm values), into the folder named by the folder annotation.
DASHBOARD_SIDECAR_LABEL = "grafana_dashboard"
DASHBOARD_SIDECAR_LABEL_VALUE = "1"
DASHBOARD_FOLDER_ANNOTATION = "grafana_folder"
# One Grafana folder per product.
DASHBOARD_FOLDER_MESH = "MCP Mesh"
DASHBOARD_FOLDER_MONITORING = "Monitoring pipeline"
# Dashboard uids (stable: links and bookmarks use them) and titles.
DASHBOARD_MESH_OVERVIEW = "mcp-mesh-overview"
DASHBOARD_AGENT_DETAIL = "mcp-mesh-agent-detail"
DASHBOARD_REGISTRY = "mcp-mesh-registry"
DASHBOARD_SLOS = "mcp-mesh-slos"
DASHBOARD_GLOBAL = "mcp-mesh-global"
DASHBOARD_PIPELINE = "mcp-mesh-monitoring-pipeline"
DASHBOARD_TAG = "mcp-mesh"
# Template variables of the dashboards.
DATASOURCE_VARIABLE = "datasource"
AGENT_VARIABLE = "agent"
# Grafana's own rate window: at least four scrape intervals of the data source.
GRAFANA_RATE_INTERVAL = "$__rate_interval"


def dashboard_config_map_name(uid: str) -> str:
    """Name of the ConfigMap holding the dashboard with this uid."""
    return f"{uid}-dashboard"
