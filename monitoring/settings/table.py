"""Every setting, declared once: key, type, default, description, check, target field.

The loader (:mod:`monitoring.settings.loader`) reads this table in one loop;
``Pulumi.yaml``'s ``config:`` block and the README's settings table are
generated from it (``python -m monitoring.settings --write``) and a test keeps
both in step. Bounds carry their reason, which a rejection repeats.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from monitoring import conventions as c
from monitoring import roles
from monitoring.custom_rules import MULTILINE, parse_custom_rules
from monitoring.settings import checks as k
from monitoring.settings.errors import SettingsError, bad
from monitoring.settings import secrets
from monitoring.settings.model import (
    PRIVATE_RANGES,
    AccessMode, ClusterFlavour, Exposure, FeatureFlag, FederationTarget, QueueSettings, ReclaimPolicy, RemoteWriteTarget, Role,
    RuleOverride, Severity, SLI, SLOSettings,
)


class Kind(StrEnum):
    """Pulumi project-config types (the ones ``Pulumi.yaml`` can declare)."""

    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ARRAY = "array"
    OBJECT = "object"  # declared in Pulumi.yaml by value only (no schema type)


@dataclass(frozen=True)
class Spec:
    key: str
    kind: Kind
    default: Any
    description: str
    check: k.Check
    # Dotted field of StackSettings the checked value fills (None: a secret,
    # whose value never reaches the settings).
    target: str | None
    secret: bool = False
    # Control characters this setting's text may hold (multi-line PromQL and annotations).
    allow: str = ""


S, I, B, A, O = Kind.STRING, Kind.INTEGER, Kind.BOOLEAN, Kind.ARRAY, Kind.OBJECT

# --------------------------------------------------------------------------
# Checks shared by several rows
# --------------------------------------------------------------------------

_chart_version = k.pattern(r"[0-9]+\.[0-9]+\.[0-9]+", "a chart version like 1.2.3", 64)
# Prometheus needs two samples inside a rate window; five minutes is also its staleness lookback.
_interval = k.duration("1s", "5m", "a series goes stale after 5m without a sample")
_alertmanager_wait = k.duration("1s", "1d", "a notification held longer than a day is lost news")
_slack_channel = k.optional(k.pattern(r"#[a-z0-9][a-z0-9._-]{0,79}|@[A-Za-z0-9][A-Za-z0-9._-]{0,79}",
                                      "a channel like #alerts"))
_selector = k.non_empty(k.string_map(k.label_key, k.label_value), "at least one label")
_pulumi_stack = k.pattern(r"([A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]{1,100}",
                          "a Pulumi stack name like prod-us-east-1 or org/project/stack", 400)
# Mimir/Cortex tenant IDs: at most 150 of letters, digits and !-_.*'(), never '.' or '..'.
_tenant = k.pattern(r"(?!\.\.?$)[A-Za-z0-9!_.*'()-]{1,150}", "a tenant ID (letters, digits and !-_.*'(), "
                    "at most 150)", 150)

_queue = k.record({
    "capacity": (k.integer(1, 1_000_000, "samples buffered per shard; memory grows with it"), 10000),
    "maxShards": (k.integer(1, 1000, "each shard is a connection to the receiver"), 30),
    "minShards": (k.integer(1, 1000, "each shard is a connection to the receiver"), 1),
    "maxSamplesPerSend": (k.integer(1, 100_000, "receivers refuse larger requests"), 5000),
    "batchSendDeadline": (k.duration("1ms", "1m", "samples wait at most this long for a batch"), "5s"),
    "minBackoff": (k.duration("1ms", "1h", "retries back off at most an hour"), "30ms"),
    "maxBackoff": (k.duration("1ms", "1h", "retries back off at most an hour"), "100ms"),
}, QueueSettings)

_remote_write_target = k.record({
    "name": (k.dns_label, ""),
    "url": (k.url(), ""),
    "remoteTimeout": (k.duration("1s", "5m", "a request outlasting a scrape interval backs up the queue"), "30s"),
    "keep": (k.re2_regex, c.AGGREGATED_SERIES_REGEX),
    "tenant": (lambda key, v: None if v is None else _tenant(key, v), None),
    "basicAuth": (k.boolean, False),
    "queue": (lambda key, v: QueueSettings() if v is None else _queue(key, v), None),
}, RemoteWriteTarget, required=("name", "url"))

_federation_target = k.record({
    "cluster": (k.dns_label, ""),
    "region": (k.dns_label, ""),
    "endpoint": (k.endpoint, ""),
    "scheme": (k.pattern(r"https?", "http or https"), "http"),
}, FederationTarget, required=("cluster", "region", "endpoint"))


def _percent_ratio(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise bad(key, "a percentage from 1 to 100", value)
    return value / 100


def _group_by(key: str, value: Any) -> tuple[str, ...]:
    """Alertmanager's group_by: label names without repeats, or ``...`` alone (every label)."""
    if value in (["..."], ("...",)):
        return ("...",)
    if isinstance(value, (list, tuple)) and "..." in value:
        raise SettingsError(key, f"'...' (group by every label) stands alone, got {list(value)}")
    return k.each(k.prometheus_label_name)(key, value)


# --------------------------------------------------------------------------
# SLOs and rule overrides
# --------------------------------------------------------------------------

def duration_text(seconds: float) -> str:
    """A Prometheus duration for ``seconds`` (whole seconds as ``1s``, else milliseconds: ``2500ms``)."""
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{round(seconds * 1000)}ms"


# The bucket boundaries of the library's request-duration histogram: the only
# latencies whose share of requests the buckets count exactly.
BUCKET_BOUNDARIES = c.REQUEST_DURATION_BUCKETS
_BUCKETS_SPOKEN = ", ".join(duration_text(b) for b in BUCKET_BOUNDARIES)
BUCKET_EXPECTED = (f"a bucket boundary of {c.REQUEST_DURATION} ({_BUCKETS_SPOKEN}): the buckets count requests "
                   "at or under a boundary only")
_latency = k.duration("1ms", "5m", "request durations are bucketed up to seconds", as_seconds=True)


def bucket_boundary(key: str, value: Any) -> float:
    """A latency threshold that is a bucket boundary of the request-duration histogram, in seconds."""
    seconds = _latency(key, value)
    if seconds not in BUCKET_BOUNDARIES:
        raise bad(key, BUCKET_EXPECTED, value)
    return seconds


def _objective(key: str, value: Any) -> float:
    """Percent of good events, below 100 (100% leaves no budget to burn), at most 3 decimals."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 100 or value > 99.999:
        raise bad(key, "an objective in percent above 0 and at most 99.999 (100 leaves no error budget)", value)
    return float(value)


def _slo_window(key: str, value: Any) -> str:
    window = k.duration("7d", "90d", "the budget is counted in hours over at least a week")(key, value)
    if k.duration_seconds(window) % 3600:
        raise bad(key, "a whole number of hours like 30d or 28d (the budget is counted hour by hour)", value)
    return window


_agent_name = k.pattern(r"[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?",
                        "an agent's mesh name (letters, digits and _.-, at most 63)", 63)

_slo_fields = k.record({
    "name": (k.dns_label, ""),
    "sli": (k.choice(SLI), ""),
    "objective": (_objective, None),
    "window": (_slo_window, "30d"),
    "threshold": (lambda key, v: None if v is None else bucket_boundary(key, v), None),
    "agents": (k.each(_agent_name), []),
}, SLOSettings, required=("name", "sli", "objective"))


def _slo(key: str, value: Any) -> SLOSettings:
    slo = _slo_fields(key, value)
    if slo.sli is SLI.AVAILABILITY and slo.threshold is not None:
        raise SettingsError(f"{key}.threshold", f"only a latency SLO has a threshold, got {value['threshold']!r}")
    from monitoring import slo as slo_rules  # the burn-rate table; it imports the settings

    slo_rules.check_objective(f"{key}.objective", slo)
    return slo


def _slos(key: str, value: Any) -> tuple[SLOSettings, ...]:
    """The SLO table: per SLI, at most one mesh-wide SLO, and an agent named by at most one SLO."""
    slos = k.records(_slo, unique_by=("name",), max_items=50)(key, value)
    owner: dict[tuple[SLI, str | None], str] = {}
    for i, slo in enumerate(slos):
        for agent in slo.agents or (None,):
            other = owner.setdefault((slo.sli, agent), slo.name)
            if other != slo.name:
                what = f"agent {agent!r} is" if agent else "every agent not named elsewhere is"
                raise SettingsError(f"{key}[{i}].agents", f"{what} already covered by the {slo.sli} SLO "
                                                          f"{other!r}, got {list(slo.agents)}")
    return slos


_override_fields = k.record({
    "for": (lambda key, v: None if v is None else k.duration("1s", "1d", "an alert held back a day is lost news")(
        key, v), None),
    "severity": (lambda key, v: None if v is None else k.choice(Severity)(key, v), None),
    "threshold": (lambda key, v: None if v is None else _number(key, v), None),
    "disabled": (k.boolean, False),
}, lambda **kw: RuleOverride(for_=kw["for"], severity=kw["severity"], threshold=kw["threshold"],
                             disabled=kw["disabled"]))


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad(key, "a number", value)
    return float(value)


def _rule_overrides(key: str, value: Any) -> dict[str, RuleOverride]:
    """Alert name -> override; whether the alert exists is checked against the stack's rules (cross)."""
    if not isinstance(value, dict):
        raise bad(key, "a mapping of alert names to {for?, severity?, threshold?, disabled?}", value)
    out = {}
    for name, entry in sorted(value.items()):
        if not isinstance(name, str) or not k.METRIC_NAME.fullmatch(name) or ":" in name:
            raise bad(key, "alert names (letters, digits and '_')", name)
        out[name] = _override_fields(f"{key}.{name}", entry)
    return out


DEFAULT_SLOS = [
    {"name": SLI.AVAILABILITY.value, "sli": SLI.AVAILABILITY.value, "objective": 99.9},
    {"name": SLI.LATENCY.value, "sli": SLI.LATENCY.value, "objective": 99},
]

# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------

SPECS: tuple[Spec, ...] = (
    # stack identity
    Spec("role", S, roles.DEFAULT, f"{roles.spoken(roles.names())}: what this cluster is in the fleet",
         k.choice(Role), "role"),
    Spec("cluster", S, "", "cluster name; the 'cluster' external label (required for "
                           f"{roles.spoken(roles.names('needs_cluster'), 'and')})",
         k.optional(k.dns_label), "cluster"),
    Spec("region", S, "", "region name; the 'region' external label (required for "
                          f"{roles.spoken(roles.names('needs_region'), 'and')} stacks)",
         k.optional(k.dns_label), "region"),
    Spec("namespace", S, "monitoring", "namespace of the monitoring stack", k.dns_label, "namespace"),
    Spec("releaseName", S, "prometheus",
         "Helm release name of kube-prometheus-stack (at most 53 characters); also the selector label value",
         k.release_name, "release_name"),
    Spec("protect", B, False, "protect namespace, CRD release and storage class from deletion",
         k.boolean, "protect"),
    Spec("clusterFlavour", S, ClusterFlavour.SELF_MANAGED.value,
         "eks, gke, aks or self-managed: managed flavours hide the control plane, so its monitors and rules are off",
         k.choice(ClusterFlavour), "cluster_flavour"),
    # pinned chart versions
    Spec("kubePrometheusStackVersion", S, "88.5.3", "kube-prometheus-stack chart version",
         _chart_version, "charts.kube_prometheus_stack"),
    Spec("prometheusOperatorCrdsVersion", S, "31.0.1",
         "prometheus-operator-crds chart version (CRDs of operator v0.93.1)",
         _chart_version, "charts.prometheus_operator_crds"),
    Spec("blackboxExporterVersion", S, "11.17.2", "prometheus-blackbox-exporter chart version (app v0.28.0)",
         _chart_version, "charts.blackbox_exporter"),
    # storage
    Spec("storageCreateClass", B, True, "create the StorageClass named storageClassName",
         k.boolean, "storage.create_class"),
    Spec("storageClassName", S, "fast-ssd", "StorageClass of the Prometheus volume; empty for the cluster default",
         k.optional(k.dns_subdomain()), "storage.class_name"),
    Spec("storageProvisioner", S, "ebs.csi.aws.com", "provisioner of the created StorageClass",
         k.optional(k.qualified_name("a provisioner name like ebs.csi.aws.com or kubernetes.io/aws-ebs")),
         "storage.provisioner"),
    Spec("storageParameters", O, {"type": "gp3"}, "parameters of the created StorageClass",
         k.string_map(k.pattern(r"[A-Za-z0-9][-A-Za-z0-9_./]{0,252}", "a parameter name"), k.text(1024), 512),
         "storage.parameters"),
    Spec("storageReclaimPolicy", S, "Retain", "reclaim policy of the created StorageClass: Retain or Delete",
         k.choice(ReclaimPolicy), "storage.reclaim_policy"),
    Spec("storageVolumeExpansion", B, True, "allow volume expansion on the created StorageClass",
         k.boolean, "storage.allow_volume_expansion"),
    Spec("storageSize", S, "100Gi", "size of each Prometheus volume claim",
         k.bytes_quantity("100Gi", "1Gi", "64Ti", "the largest cloud block volumes hold 64Ti"), "storage.size"),
    Spec("storageAccessModes", A, ["ReadWriteOnce"], "access modes of the Prometheus volume claim",
         k.non_empty(k.each(k.choice(AccessMode))), "storage.access_modes"),
    # prometheus
    Spec("retention", S, "30d", "how long Prometheus keeps samples",
         k.duration("2h", "100y", "Prometheus cuts a block every 2h and caps retention at 100y"),
         "prometheus.retention"),
    Spec("retentionSize", S, "50GB", "how much disk Prometheus' blocks may use (at most storageSize)",
         k.byte_size, "prometheus.retention_size"),
    Spec("prometheusReplicas", I, 1, "Prometheus replicas",
         k.integer(1, 10, "each replica is a full copy that scrapes every target"), "prometheus.replicas"),
    Spec("scrapeInterval", S, "30s", "default scrape interval (at most half the rules' 5m rate window)",
         _interval, "prometheus.scrape_interval"),
    Spec("evaluationInterval", S, "30s", "rule evaluation interval (at most the rules' 5m rate window)",
         _interval, "prometheus.evaluation_interval"),
    Spec("enableFeatures", A, ["exemplar-storage", "memory-snapshot-on-shutdown"], "Prometheus feature flags",
         k.each(k.choice(FeatureFlag)), "prometheus.enable_features"),
    Spec("prometheusCpuRequest", S, "1", "Prometheus CPU request",
         k.cpu(256, "no node offers more cores"), "prometheus.resources.cpu_request"),
    Spec("prometheusMemoryRequest", S, "2Gi", "Prometheus memory request",
         k.bytes_quantity("2Gi", "64Mi", "4Ti", "Prometheus needs 64Mi to start; no node offers 4Ti"),
         "prometheus.resources.memory_request"),
    Spec("prometheusCpuLimit", S, "2", "Prometheus CPU limit",
         k.cpu(256, "no node offers more cores"), "prometheus.resources.cpu_limit"),
    Spec("prometheusMemoryLimit", S, "4Gi", "Prometheus memory limit",
         k.bytes_quantity("4Gi", "64Mi", "4Ti", "Prometheus needs 64Mi to start; no node offers 4Ti"),
         "prometheus.resources.memory_limit"),
    Spec("externalLabels", O, {}, "external labels besides cluster and region",
         k.string_map(k.prometheus_label_name, k.non_empty(k.text(1024, "a label value"))), "external_labels"),
    Spec("remoteWrite", O, [], "remote-write targets: [{name, url, tenant?, basicAuth?, keep?, queue?}]",
         k.records(_remote_write_target, unique_by=("name",), max_items=20), "remote_write"),
    Spec("dropMetrics", A, ["go_memstats_.*"],
         "RE2 regexes of metric names dropped at scrape (e.g. add 'go_.*|process_.*'); none may match a mesh series",
         k.each(k.re2_regex), "prometheus.drop_metrics"),
    # the mesh being monitored (defaults: the upstream MCP Mesh charts)
    Spec("meshNamespace", S, c.MESH_NAMESPACE, "namespace the MCP Mesh agents and registry run in",
         k.dns_label, "mesh.namespace"),
    Spec("agentSelector", O, dict(c.MESH_AGENT_SELECTOR), "labels selecting the agents' Services and pods",
         _selector, "mesh.agent_selector"),
    Spec("agentNameLabel", S, c.MESH_AGENT_NAME_LABEL,
         "pod label whose value is the 'agent' label of series that carry none of their own (up, scrape series)",
         k.label_key, "mesh.agent_name_label"),
    Spec("registrySelector", O, dict(c.MESH_REGISTRY_SELECTOR), "labels selecting the registry's Service",
         _selector, "mesh.registry_selector"),
    Spec("registryServiceName", S, c.MESH_REGISTRY_SERVICE, "name of the registry's Service (the probe's target host): <release>-mcp-mesh-registry",
         k.dns1035_label, "mesh.registry_service"),
    Spec("registryServesMetrics", B, False, "scrape the registry's /metrics (upstream's registry serves none)",
         k.boolean, "mesh.registry_serves_metrics"),
    Spec("blackboxExporterEnabled", B, True, "install the blackbox exporter and probe the registry's /health",
         k.boolean, "mesh.blackbox_exporter"),
    Spec("kubernetesSdJobs", B, False,
         "add the guide's kubernetes_sd jobs (registry endpoints, pods annotated prometheus.io/scrape)",
         k.boolean, "mesh.kubernetes_sd_jobs"),
    # rules and alerts
    Spec("runbookBaseUrl", S, "https://github.com/mcp-mesh/mcp-mesh-monitoring/blob/main/docs/runbooks.md",
         "where docs/runbooks.md is published; each alert links to '<url>#<alert name in lower case>'",
         k.url(fragment=False), "rules.runbook_base_url"),
    Spec("sloLatencyThreshold", S, "1s",
         "latency SLO: the threshold of latency SLOs that set none (a bucket boundary: "
         f"{_BUCKETS_SPOKEN}), the p95 the record mcp_mesh:slo:latency and the latency alert compare with",
         _latency, "rules.slo_latency_seconds"),
    Spec("slos", O, DEFAULT_SLOS,
         "SLOs: [{name, sli: availability or latency, objective: percent, window?: 30d, threshold?: a bucket "
         "boundary (latency; default sloLatencyThreshold), agents?: [] (every agent no other SLO of its sli "
         "names)}]; burn-rate alerts and budgets are generated from it",
         _slos, "rules.slos"),
    Spec("ruleOverrides", O, {},
         "per alert of this stack: {<alert>: {for?, severity?: critical or warning, threshold?, disabled?}}",
         _rule_overrides, "rules.overrides"),
    Spec("registryLatencyThreshold", S, "500ms", "registry health score: a p95 below this counts as fast",
         k.duration("1ms", "5m", "request durations are bucketed up to seconds", as_seconds=True),
         "rules.registry_latency_seconds"),
    Spec("remoteWriteMaxLag", S, "2m", "alert when remote write falls further behind than this",
         k.duration("1s", "1d", "a day behind is a lost day", as_seconds=True), "rules.remote_write_max_lag_seconds"),
    Spec("prometheusMemoryAlertPercent", I, 80,
         "alert when Prometheus' resident memory exceeds this percentage of prometheusMemoryLimit",
         _percent_ratio, "rules.memory_alert_ratio"),
    Spec("customRules", O, [],
         "extra rules: [{record, expr, labels?} or {alert, expr, for?, labels?, annotations: {summary, description}}]",
         parse_custom_rules, "rules.custom", allow=MULTILINE),
    # grafana
    Spec("grafanaEnabled", B, True, "deploy Grafana", k.boolean, "grafana.enabled"),
    Spec("grafanaPersistenceSize", S, "10Gi", "size of Grafana's volume",
         k.bytes_quantity("10Gi", "1Gi", "1Ti", "dashboards and users fit in far less"), "grafana.persistence_size"),
    Spec("grafanaStorageClassName", S, "", "StorageClass of Grafana's volume; empty: storageClassName's",
         k.optional(k.dns_subdomain()), "grafana.storage_class"),
    Spec("grafanaAdminUser", S, "admin", "Grafana admin user name",
         k.pattern(r"[A-Za-z0-9][A-Za-z0-9._@+-]*", "a user name of letters, digits and ._@+- (at most 64)", 64),
         "grafana.admin_user"),
    # alertmanager
    Spec("alertmanagerEnabled", B, True, "deploy Alertmanager", k.boolean, "alertmanager.enabled"),
    Spec("alertmanagerGroupBy", A, ["alertname", "namespace"], "labels alerts are grouped by ('...' alone: every label)",
         _group_by, "alertmanager.group_by"),
    Spec("alertmanagerGroupWait", S, "10s", "wait before the first notification of a group",
         _alertmanager_wait, "alertmanager.group_wait"),
    Spec("alertmanagerGroupInterval", S, "10s", "wait before notifying about new alerts of a group",
         _alertmanager_wait, "alertmanager.group_interval"),
    Spec("alertmanagerRepeatInterval", S, "12h", "wait before repeating a notification",
         k.duration("1m", "5d", "Alertmanager forgets sent notifications after 5 days"),
         "alertmanager.repeat_interval"),
    Spec("alertmanagerResolveTimeout", S, "5m", "time after which an alert without updates is resolved",
         _alertmanager_wait, "alertmanager.resolve_timeout"),
    Spec("slackChannel", S, "#alerts", "Slack channel of the default receiver; empty for no Slack",
         _slack_channel, "alertmanager.slack_channel"),
    Spec("pageSlackChannel", S, "", "Slack channel of pages (severity critical); empty: slackChannel",
         _slack_channel, "alertmanager.page_slack_channel"),
    Spec("ticketSlackChannel", S, "", "Slack channel of tickets (severity warning); empty: slackChannel",
         _slack_channel, "alertmanager.ticket_slack_channel"),
    Spec("pagerdutyPages", B, False,
         "send pages to PagerDuty (routing key from the secret pagerdutyRoutingKey) instead of Slack",
         k.boolean, "alertmanager.pagerduty_pages"),
    # federation: how a regional Prometheus is reached, and what the global one federates
    Spec("federationExposure", S, Exposure.INTERNAL_LB.value,
         "how the global cluster reaches this regional Prometheus: internal-lb (a private load balancer whose "
         "address the stack exports), ingress (HTTPS behind basic auth) or service-name (federationHost, a name "
         "the operator makes resolve from the global cluster)",
         k.choice(Exposure), "federation.exposure"),
    Spec("federationHost", S, "",
         "host name the global cluster reaches this Prometheus under (required for service-name and ingress)",
         k.optional(k.dns_subdomain()), "federation.host"),
    Spec("federationPort", I, 9090, "federation port (service-name and internal-lb)", k.port, "federation.port"),
    Spec("federationSourceRanges", A, list(PRIVATE_RANGES),
         "private CIDRs allowed to reach the internal load balancer (default: the RFC 1918 ranges; narrow them "
         "to the global cluster's network)",
         k.non_empty(k.each(k.private_cidr), "at least one private CIDR (never open to every address)"),
         "federation.source_ranges"),
    Spec("federationTlsSecret", S, "",
         "ingress exposure: existing kubernetes.io/tls Secret (in namespace) holding the federation certificate",
         k.optional(k.dns_subdomain()), "federation.tls_secret"),
    Spec("federationCertIssuer", S, "",
         "ingress exposure: cert-manager ClusterIssuer that issues the federation certificate instead",
         k.optional(k.dns_subdomain()), "federation.cert_issuer"),
    Spec("federationStacks", A, [], "global stack: regional Pulumi stacks to federate",
         k.each(_pulumi_stack), "federation.stacks"),
    Spec("federationTargets", O, [], "global stack: clusters not managed here, [{cluster, region, endpoint, scheme?}]",
         k.records(_federation_target, unique_by=("cluster", "endpoint")), "federation.targets"),
    Spec("federationInterval", S, "30s",
         "global stack: federation scrape interval (not below evaluationInterval: the records change once per "
         "evaluation)", _interval, "federation.interval"),
    # secrets: set with `pulumi config set --secret`; never in values, state or messages in plain text
    Spec(c.SECRET_FEDERATION_BASIC_AUTH, O, None,
         "federation basic auth {username, password}: required for ingress exposure",
         secrets.credentials, None, secret=True),
    Spec(c.SECRET_FEDERATION_CA, S, None,
         "global stack: PEM of the CA that signed the regions' https federation endpoints",
         secrets.pem_certificates, None, secret=True, allow="\r\n"),
    Spec(c.SECRET_GRAFANA_ADMIN_PASSWORD, S, None, "Grafana admin password (generated when unset)",
         secrets.password, None, secret=True),
    Spec(c.SECRET_SLACK_WEBHOOK, S, None, "Slack incoming-webhook URL (required when slackChannel is set)",
         secrets.https_url, None, secret=True),
    Spec(c.SECRET_PAGERDUTY_ROUTING_KEY, S, None,
         "PagerDuty Events API v2 routing key (required when pagerdutyPages is true)",
         secrets.routing_key, None, secret=True),
    Spec(c.SECRET_REMOTE_WRITE_CREDENTIALS, O, None,
         "remote-write basic-auth credentials: {<target name>: {username, password}}",
         secrets.credentials_by_target, None, secret=True),
)

SPEC_BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}
SECRET_KEYS: frozenset[str] = frozenset(s.key for s in SPECS if s.secret)
