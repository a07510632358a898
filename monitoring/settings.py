"""Typed, validated stack settings.

A stack's configuration arrives as a flat mapping of setting keys to values:
either what the Pulumi engine hands the program (every value a string, objects
and arrays JSON-encoded) or a stack file read directly (values already typed).
:func:`load_settings` turns either into one frozen :class:`StackSettings`, or
raises one :class:`SettingsError` naming the key, the value and what was
expected, before anything is created.

The :data:`SPECS` table is the single definition of every setting: its key,
type, default and description. ``Pulumi.yaml``'s ``config:`` block is generated
from it (``python -m monitoring.settings``) and a test keeps the two in step.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable, Mapping

from monitoring import conventions as c
from monitoring import roles
from monitoring.resources import AlertingRule, InvalidResource, RecordingRule

PROJECT = c.PROJECT_NAME


class SettingsError(ValueError):
    """A setting is missing, unknown or holds a value of the wrong shape."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


def _bad(key: str, expected: str, value: Any) -> SettingsError:
    return SettingsError(key, f"expected {expected}, got {value!r}")


# --------------------------------------------------------------------------
# Value shapes
# --------------------------------------------------------------------------

# Prometheus duration syntax (units in descending order, each at most once).
_DURATION = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Prometheus' retention size (the operator's ByteSize): a number and a byte unit.
_BYTE_SIZE = re.compile(r"^(\d+(?:\.\d+)?)(B|KB|MB|GB|TB|PB|EB|KiB|MiB|GiB|TiB|PiB|EiB)$")
# Kubernetes resource quantity (the subset this project accepts).
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_QUANTITY_FACTORS = {
    None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
# Kubernetes label keys ([prefix/]name) and values.
_K8S_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_K8S_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration such as ``1h30m``."""
    return sum(int(n) * _DURATION_UNITS[u] for n, u in re.findall(r"(\d+)(ms|y|w|d|h|m|s)", text))


def quantity_value(text: str) -> float:
    """The numeric value of a Kubernetes quantity such as ``2Gi`` or ``500m``."""
    match = _QUANTITY.match(text)
    assert match, text
    return float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]


def _duration(key: str, value: str) -> str:
    if not value or not _DURATION.match(value) or duration_seconds(value) <= 0:
        raise _bad(key, "a duration like 30d", value)
    return value


def _byte_size(key: str, value: str) -> str:
    match = _BYTE_SIZE.match(value)
    if not match or float(match.group(1)) <= 0:
        raise _bad(key, "a size like 50GB", value)
    return value


def _quantity(key: str, value: str, example: str) -> str:
    if not _QUANTITY.match(value) or quantity_value(value) <= 0:
        raise _bad(key, f"a positive quantity like {example}", value)
    return value


def _dns_label(key: str, value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise _bad(key, "a DNS label (lower-case letters, digits and '-')", value)
    return value


def _non_empty(key: str, value: str) -> str:
    if not value:
        raise _bad(key, "a non-empty value", value)
    return value


def _regex(key: str, value: str) -> str:
    try:
        re.compile(value)
    except re.error as err:
        raise SettingsError(key, f"invalid regular expression {value!r}: {err}") from None
    return value


# --------------------------------------------------------------------------
# The settings table
# --------------------------------------------------------------------------

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
    secret: bool = False


def _s(key, default, description):
    return Spec(key, Kind.STRING, default, description)


SPECS: tuple[Spec, ...] = (
    # stack identity
    _s("role", roles.DEFAULT, f"{roles.spoken(roles.names())}: what this cluster is in the fleet"),
    _s("cluster", "", "cluster name; the 'cluster' external label (required for "
                      f"{roles.spoken(roles.names('needs_cluster'), 'and')})"),
    _s("region", "", "region name; the 'region' external label (required for "
                     f"{roles.spoken(roles.names('needs_region'), 'and')} stacks)"),
    _s("namespace", "monitoring", "namespace of the monitoring stack"),
    _s("releaseName", "prometheus", "Helm release name of kube-prometheus-stack; also the selector label value"),
    Spec("protect", Kind.BOOLEAN, False, "protect namespace, CRD release and storage class from deletion"),
    # pinned chart versions
    _s("kubePrometheusStackVersion", "88.5.3", "kube-prometheus-stack chart version"),
    _s("prometheusOperatorCrdsVersion", "31.0.1", "prometheus-operator-crds chart version (CRDs of operator v0.93.1)"),
    _s("blackboxExporterVersion", "11.17.2", "prometheus-blackbox-exporter chart version (app v0.28.0)"),
    # storage
    Spec("storageCreateClass", Kind.BOOLEAN, True, "create the StorageClass named storageClassName"),
    _s("storageClassName", "fast-ssd", "StorageClass of the Prometheus volume; empty for the cluster default"),
    _s("storageProvisioner", "ebs.csi.aws.com", "provisioner of the created StorageClass"),
    Spec("storageParameters", Kind.OBJECT, {"type": "gp3"}, "parameters of the created StorageClass"),
    _s("storageReclaimPolicy", "Retain", "reclaim policy of the created StorageClass: Retain or Delete"),
    Spec("storageVolumeExpansion", Kind.BOOLEAN, True, "allow volume expansion on the created StorageClass"),
    _s("storageSize", "100Gi", "size of each Prometheus volume claim"),
    Spec("storageAccessModes", Kind.ARRAY, ["ReadWriteOnce"], "access modes of the Prometheus volume claim"),
    # prometheus
    _s("retention", "30d", "how long Prometheus keeps samples"),
    _s("retentionSize", "50GB", "how much disk Prometheus' blocks may use"),
    Spec("prometheusReplicas", Kind.INTEGER, 1, "Prometheus replicas"),
    _s("scrapeInterval", "30s", "default scrape interval"),
    _s("evaluationInterval", "30s", "rule evaluation interval"),
    Spec("enableFeatures", Kind.ARRAY, ["exemplar-storage", "memory-snapshot-on-shutdown"],
         "Prometheus feature flags"),
    _s("prometheusCpuRequest", "1", "Prometheus CPU request"),
    _s("prometheusMemoryRequest", "2Gi", "Prometheus memory request"),
    _s("prometheusCpuLimit", "2", "Prometheus CPU limit"),
    _s("prometheusMemoryLimit", "4Gi", "Prometheus memory limit"),
    Spec("externalLabels", Kind.OBJECT, {}, "external labels besides cluster and region"),
    Spec("remoteWrite", Kind.OBJECT, [],
         "remote-write targets: [{name, url, tenant?, basicAuth?, keep?, queue?}]"),
    Spec("dropMetrics", Kind.ARRAY, ["go_memstats_.*"],
         "regexes of metric names dropped at scrape (e.g. add 'go_.*|process_.*')"),
    # the mesh being monitored (defaults: the upstream MCP Mesh charts)
    _s("meshNamespace", c.MESH_NAMESPACE, "namespace the MCP Mesh agents and registry run in"),
    Spec("agentSelector", Kind.OBJECT, dict(c.MESH_AGENT_SELECTOR),
         "labels selecting the agents' Services and pods"),
    _s("agentNameLabel", c.MESH_AGENT_NAME_LABEL, "pod label whose value becomes the 'agent' label of every series"),
    Spec("registrySelector", Kind.OBJECT, dict(c.MESH_REGISTRY_SELECTOR), "labels selecting the registry's Service"),
    _s("registryServiceName", c.MESH_REGISTRY_SERVICE, "name of the registry's Service (the probe's target host)"),
    Spec("registryServesMetrics", Kind.BOOLEAN, False,
         "scrape the registry's /metrics (upstream's registry serves none)"),
    Spec("blackboxExporterEnabled", Kind.BOOLEAN, True,
         "install the blackbox exporter and probe the registry's /health"),
    Spec("kubernetesSdJobs", Kind.BOOLEAN, False,
         "add the guide's kubernetes_sd jobs (registry endpoints, pods annotated prometheus.io/scrape)"),
    # rules and alerts
    _s("runbookBaseUrl", "https://github.com/mcp-mesh/mcp-mesh-monitoring/blob/main/docs/runbooks.md",
       "where docs/runbooks.md is published; each alert links to '<url>#<alert name in lower case>'"),
    _s("sloLatencyThreshold", "1s", "latency SLO: an agent's p95 request duration must stay below this"),
    _s("registryLatencyThreshold", "500ms", "registry health score: a p95 below this counts as fast"),
    _s("remoteWriteMaxLag", "2m", "alert when remote write falls further behind than this"),
    Spec("prometheusMemoryAlertPercent", Kind.INTEGER, 80,
         "alert when Prometheus' resident memory exceeds this percentage of prometheusMemoryLimit"),
    Spec("customRules", Kind.OBJECT, [],
         "extra rules: [{record, expr, labels?} or {alert, expr, for?, labels?, annotations: {summary, description}}]"),
    # grafana
    Spec("grafanaEnabled", Kind.BOOLEAN, True, "deploy Grafana"),
    _s("grafanaPersistenceSize", "10Gi", "size of Grafana's volume"),
    _s("grafanaAdminUser", "admin", "Grafana admin user name"),
    # alertmanager
    Spec("alertmanagerEnabled", Kind.BOOLEAN, True, "deploy Alertmanager"),
    Spec("alertmanagerGroupBy", Kind.ARRAY, ["alertname", "namespace"], "labels alerts are grouped by"),
    _s("alertmanagerGroupWait", "10s", "wait before the first notification of a group"),
    _s("alertmanagerGroupInterval", "10s", "wait before notifying about new alerts of a group"),
    _s("alertmanagerRepeatInterval", "12h", "wait before repeating a notification"),
    _s("alertmanagerResolveTimeout", "5m", "time after which an alert without updates is resolved"),
    _s("slackChannel", "#alerts", "Slack channel of the default receiver; empty for no Slack"),
    _s("pageSlackChannel", "", "Slack channel of pages (severity critical); empty: slackChannel"),
    _s("ticketSlackChannel", "", "Slack channel of tickets (severity warning); empty: slackChannel"),
    Spec("pagerdutyPages", Kind.BOOLEAN, False,
         "send pages to PagerDuty (routing key from the secret pagerdutyRoutingKey) instead of Slack"),
    # secrets: set with `pulumi config set --secret`; never in values or state in plain text
    # federation: how a regional Prometheus is reached, and what the global one federates
    _s("federationExposure", "service-name",
       "how the global cluster reaches this Prometheus: service-name, internal-lb or ingress"),
    _s("federationHost", "", "federation host name (default prometheus-<region>; required for ingress)"),
    Spec("federationPort", Kind.INTEGER, 9090, "federation port (service-name and internal-lb)"),
    Spec("federationSourceRanges", Kind.ARRAY, [], "CIDRs allowed to reach the internal load balancer"),
    Spec("federationStacks", Kind.ARRAY, [], "global stack: regional Pulumi stacks to federate"),
    Spec("federationTargets", Kind.OBJECT, [],
         "global stack: clusters not managed here, [{cluster, region, endpoint, scheme?}]"),
    _s("federationInterval", "15s", "global stack: federation scrape interval"),
    Spec(c.SECRET_FEDERATION_BASIC_AUTH, Kind.OBJECT, None,
         "federation basic auth {username, password}: required for ingress exposure", secret=True),
    Spec(c.SECRET_FEDERATION_CA, Kind.STRING, None,
         "global stack: PEM of the CA that signed the regions' https federation endpoints", secret=True),
    Spec(c.SECRET_GRAFANA_ADMIN_PASSWORD, Kind.STRING, None,
         "Grafana admin password (generated when unset)", secret=True),
    Spec(c.SECRET_SLACK_WEBHOOK, Kind.STRING, None,
         "Slack incoming-webhook URL (required when slackChannel is set)", secret=True),
    Spec(c.SECRET_PAGERDUTY_ROUTING_KEY, Kind.STRING, None,
         "PagerDuty Events API v2 routing key (required when pagerdutyPages is true)", secret=True),
    Spec(c.SECRET_REMOTE_WRITE_CREDENTIALS, Kind.OBJECT, None,
         "remote-write basic-auth credentials: {<target name>: {username, password}}", secret=True),
)

SPEC_BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}
SECRET_KEYS: frozenset[str] = frozenset(s.key for s in SPECS if s.secret)


def _coerce(spec: Spec, value: Any) -> Any:
    """Turn a config value (typed, or a string from the engine) into the spec's type."""
    key = spec.key
    if spec.kind is Kind.STRING:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _bad(key, "a string", value)
        return str(value)
    if spec.kind is Kind.INTEGER:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _bad(key, "an integer", value)
    if spec.kind is Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _bad(key, "true or false", value)
    # arrays and objects: the engine hands them over JSON-encoded
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise _bad(key, "a list" if spec.kind is Kind.ARRAY else "a JSON/YAML object or list", value) from None
    if spec.kind is Kind.ARRAY:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(key, "a list of strings", value)
        return tuple(value)
    return value


# --------------------------------------------------------------------------
# Typed sections
# --------------------------------------------------------------------------

Role = roles.Role


class ReclaimPolicy(StrEnum):
    RETAIN = "Retain"
    DELETE = "Delete"


class AccessMode(StrEnum):
    READ_WRITE_ONCE = "ReadWriteOnce"
    READ_ONLY_MANY = "ReadOnlyMany"
    READ_WRITE_MANY = "ReadWriteMany"
    READ_WRITE_ONCE_POD = "ReadWriteOncePod"


class FeatureFlag(StrEnum):
    EXEMPLAR_STORAGE = "exemplar-storage"
    MEMORY_SNAPSHOT_ON_SHUTDOWN = "memory-snapshot-on-shutdown"


@dataclass(frozen=True)
class ChartVersions:
    kube_prometheus_stack: str
    prometheus_operator_crds: str
    blackbox_exporter: str


@dataclass(frozen=True)
class StorageSettings:
    create_class: bool
    class_name: str  # "" means the cluster's default StorageClass
    provisioner: str
    parameters: Mapping[str, str]
    reclaim_policy: ReclaimPolicy
    allow_volume_expansion: bool
    size: str
    access_modes: tuple[AccessMode, ...]


@dataclass(frozen=True)
class ResourceSettings:
    cpu_request: str
    memory_request: str
    cpu_limit: str
    memory_limit: str


@dataclass(frozen=True)
class PrometheusSettings:
    retention: str
    retention_size: str
    replicas: int
    scrape_interval: str
    evaluation_interval: str
    enable_features: tuple[FeatureFlag, ...]
    resources: ResourceSettings
    drop_metrics: tuple[str, ...]


@dataclass(frozen=True)
class QueueSettings:
    """Remote-write queue tuning (the guide's figures are the defaults)."""

    capacity: int = 10000
    max_shards: int = 30
    min_shards: int = 1
    max_samples_per_send: int = 5000
    batch_send_deadline: str = "5s"
    min_backoff: str = "30ms"
    max_backoff: str = "100ms"


@dataclass(frozen=True)
class RemoteWriteTarget:
    name: str
    url: str
    remote_timeout: str = "30s"
    keep: str = c.AGGREGATED_SERIES_REGEX
    tenant: str | None = None
    basic_auth: bool = False
    queue: QueueSettings = field(default_factory=QueueSettings)


@dataclass(frozen=True)
class MeshSettings:
    """The MCP Mesh deployment a stack monitors, and how it is scraped."""

    namespace: str
    agent_selector: Mapping[str, str]
    agent_name_label: str
    registry_selector: Mapping[str, str]
    registry_service: str
    registry_serves_metrics: bool
    blackbox_exporter: bool
    kubernetes_sd_jobs: bool


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds of the PrometheusRules, and a stack's own extra rules."""

    runbook_base_url: str
    slo_latency_seconds: float
    registry_latency_seconds: float
    remote_write_max_lag_seconds: float
    memory_alert_ratio: float  # share of the Prometheus memory limit
    custom: tuple[RecordingRule | AlertingRule, ...]


class Exposure(StrEnum):
    SERVICE_NAME = "service-name"
    INTERNAL_LB = "internal-lb"
    INGRESS = "ingress"


@dataclass(frozen=True)
class FederationTarget:
    """A Prometheus the global stack federates."""

    cluster: str
    region: str
    endpoint: str  # host:port
    scheme: str = "http"


@dataclass(frozen=True)
class FederationSettings:
    exposure: Exposure
    host: str
    port: int
    source_ranges: tuple[str, ...]
    stacks: tuple[str, ...]
    targets: tuple[FederationTarget, ...]
    interval: str


_CIDR = re.compile(r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$")
_ENDPOINT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")


def _federation_targets(raw: Any) -> tuple[FederationTarget, ...]:
    out = []
    for at, entry in _entries("federationTargets", raw, ("cluster", "region", "endpoint", "scheme"), "targets"):
        endpoint = str(entry.get("endpoint", ""))
        if not _ENDPOINT.match(endpoint):
            raise _bad(f"{at}.endpoint", "host:port", endpoint)
        scheme = str(entry.get("scheme", "http"))
        if scheme not in ("http", "https"):
            raise _bad(f"{at}.scheme", "http or https", scheme)
        out.append(FederationTarget(
            cluster=_dns_label(f"{at}.cluster", str(entry.get("cluster", ""))),
            region=_dns_label(f"{at}.region", str(entry.get("region", ""))),
            endpoint=endpoint, scheme=scheme))
    return tuple(out)


def _federation(get: Callable[[str], Any], role: Role, region: str) -> FederationSettings:
    exposure = _enum("federationExposure", Exposure, get("federationExposure"))
    host = get("federationHost")
    if host and not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", host):
        raise _bad("federationHost", "a DNS name", host)
    if exposure is Exposure.INGRESS and not host:
        raise SettingsError("federationHost", "required for ingress exposure, got ''")
    ranges = get("federationSourceRanges")
    for cidr in ranges:
        if not _CIDR.match(cidr):
            raise _bad("federationSourceRanges", "CIDRs like 10.0.0.0/8", cidr)
    if exposure is Exposure.INTERNAL_LB and not ranges:
        raise SettingsError("federationSourceRanges",
                            "required for internal-lb exposure (never open to every address), got []")
    port = get("federationPort")
    if not 0 < port < 65536:
        raise _bad("federationPort", "a port number", port)
    stacks, targets = get("federationStacks"), _federation_targets(get("federationTargets"))
    federates = roles.profile(role).federates
    if not federates and (stacks or targets):
        raise SettingsError("federationStacks" if stacks else "federationTargets",
                            f"only a {roles.spoken(roles.names('federates'))} stack federates, "
                            f"this one is {role}")
    if federates and not (stacks or targets):
        raise SettingsError("federationStacks", f"a {role} stack needs "
                            f"{roles.spoken(roles.names('federated'))} stacks or targets, got []")
    return FederationSettings(
        exposure=exposure, host=host or f"prometheus-{region}", port=port, source_ranges=tuple(ranges),
        stacks=tuple(stacks), targets=targets,
        interval=_duration("federationInterval", get("federationInterval")))


@dataclass(frozen=True)
class GrafanaSettings:
    enabled: bool
    persistence_size: str
    admin_user: str


@dataclass(frozen=True)
class AlertmanagerSettings:
    enabled: bool
    group_by: tuple[str, ...]
    group_wait: str
    group_interval: str
    repeat_interval: str
    resolve_timeout: str
    slack_channel: str  # "" means no Slack receiver
    page_slack_channel: str = ""  # "" means slack_channel
    ticket_slack_channel: str = ""  # "" means slack_channel
    pagerduty_pages: bool = False


@dataclass(frozen=True)
class StackSettings:
    """Everything one stack deploys, typed and validated."""

    stack: str
    role: Role
    cluster: str
    region: str
    namespace: str
    release_name: str
    protect: bool
    charts: ChartVersions
    storage: StorageSettings
    prometheus: PrometheusSettings
    external_labels: Mapping[str, str]
    remote_write: tuple[RemoteWriteTarget, ...]
    grafana: GrafanaSettings
    alertmanager: AlertmanagerSettings
    mesh: MeshSettings
    rules: RuleSettings
    federation: FederationSettings
    secrets_set: frozenset[str] = frozenset()

    @property
    def profile(self) -> roles.RoleProfile:
        """What this stack's role does (the row of the role table)."""
        return roles.profile(self.role)

    @property
    def slack_enabled(self) -> bool:
        return self.alertmanager.enabled and bool(self.alertmanager.slack_channel)

    @property
    def pagerduty_enabled(self) -> bool:
        return self.alertmanager.enabled and self.alertmanager.pagerduty_pages


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------

_QUEUE_KEYS = {
    "capacity": ("capacity", int), "maxShards": ("max_shards", int), "minShards": ("min_shards", int),
    "maxSamplesPerSend": ("max_samples_per_send", int), "batchSendDeadline": ("batch_send_deadline", str),
    "minBackoff": ("min_backoff", str), "maxBackoff": ("max_backoff", str),
}
_REMOTE_WRITE_KEYS = ("name", "url", "remoteTimeout", "keep", "tenant", "basicAuth", "queue")


def _unknown(key: str, known) -> SettingsError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SettingsError(key, f"unknown setting{hint}")


def _positive_int(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(key, "a positive integer", value)
    return value


def _enum(key: str, enum: type[StrEnum], value: Any):
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(e.value for e in enum)
        raise _bad(key, f"one of {choices}", value) from None


def _string_map(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _bad(key, "a mapping of names to strings", value)
    for k, v in value.items():
        if not isinstance(v, str):
            raise _bad(f"{key}.{k}", "a string", v)
    return dict(sorted(value.items()))


def _label_key(key: str, value: str) -> str:
    if not _K8S_LABEL_KEY.match(value) or len(value.rpartition("/")[2]) > 63:
        raise _bad(key, "a Kubernetes label key like app.kubernetes.io/name", value)
    return value


def _label_selector(key: str, value: Any) -> dict[str, str]:
    """A non-empty matchLabels map: an empty one would select every Service or pod."""
    labels = _string_map(key, value)
    if not labels:
        raise _bad(key, "at least one label", value)
    for name, label_value in labels.items():
        _label_key(f"{key}.{name}", name)
        if not _K8S_LABEL_VALUE.match(label_value):
            raise _bad(f"{key}.{name}", "a Kubernetes label value", label_value)
    return labels


def _queue(key: str, raw: Any) -> QueueSettings:
    if raw is None:
        return QueueSettings()
    if not isinstance(raw, dict):
        raise _bad(key, "a mapping", raw)
    kwargs = {}
    for k, v in raw.items():
        if k not in _QUEUE_KEYS:
            raise _unknown(f"{key}.{k}", [f"{key}.{q}" for q in _QUEUE_KEYS])
        attr, typ = _QUEUE_KEYS[k]
        kwargs[attr] = _positive_int(f"{key}.{k}", v) if typ is int else _duration(f"{key}.{k}", str(v))
    queue = QueueSettings(**kwargs)
    if queue.min_shards > queue.max_shards:
        raise SettingsError(f"{key}.minShards", f"must not exceed maxShards ({queue.max_shards}), got {queue.min_shards}")
    if duration_seconds(queue.min_backoff) > duration_seconds(queue.max_backoff):
        raise SettingsError(f"{key}.minBackoff",
                            f"must not exceed maxBackoff ({queue.max_backoff}), got {queue.min_backoff!r}")
    return queue


def _entries(key: str, raw: Any, allowed: tuple[str, ...], what: str):
    """``(key[i], entry)`` for each mapping of a list-valued setting, unknown fields refused."""
    if not isinstance(raw, list):
        raise _bad(key, f"a list of {what}", raw)
    for i, entry in enumerate(raw):
        at = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise _bad(at, f"a mapping with {', '.join(allowed)}", entry)
        for k in entry:
            if k not in allowed:
                raise _unknown(f"{at}.{k}", [f"{at}.{r}" for r in allowed])
        yield at, entry


def _remote_write(raw: Any) -> tuple[RemoteWriteTarget, ...]:
    targets, names = [], set()
    for at, entry in _entries("remoteWrite", raw, _REMOTE_WRITE_KEYS, "targets"):
        name = _dns_label(f"{at}.name", str(entry.get("name", "")))
        if name in names:
            raise SettingsError(f"{at}.name", f"duplicate remote-write target name {name!r}")
        names.add(name)
        url = str(entry.get("url", ""))
        if not _URL.match(url):
            raise _bad(f"{at}.url", "an http:// or https:// URL", url)
        basic_auth = entry.get("basicAuth", False)
        if not isinstance(basic_auth, bool):
            raise _bad(f"{at}.basicAuth", "true or false", basic_auth)
        tenant = entry.get("tenant")
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            raise _bad(f"{at}.tenant", "a non-empty tenant id", tenant)
        targets.append(RemoteWriteTarget(
            name=name,
            url=url,
            remote_timeout=_duration(f"{at}.remoteTimeout", str(entry.get("remoteTimeout", "30s"))),
            keep=_regex(f"{at}.keep", str(entry.get("keep", c.AGGREGATED_SERIES_REGEX))),
            tenant=tenant,
            basic_auth=basic_auth,
            queue=_queue(f"{at}.queue", entry.get("queue")),
        ))
    return tuple(targets)


_RECORD_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_ALERT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CUSTOM_RULE_KEYS = ("record", "alert", "expr", "for", "labels", "annotations")
_SEVERITIES = (c.SEVERITY_CRITICAL, c.SEVERITY_WARNING)


def _custom_rules(raw: Any) -> tuple[RecordingRule | AlertingRule, ...]:
    """The customRules setting as typed rules, every expression parsed now.

    A rule Prometheus would not load (bad PromQL, a bad or duplicate name) or an
    alert without what every alert carries (severity, summary, description)
    stops the program here, with the rule's position and name, before anything
    is deployed. Alerts without a severity label are warnings.
    """
    rules: list[RecordingRule | AlertingRule] = []
    taken = set(c.RECORDING_RULES) | set(c.ALERTS)
    for at, entry in _entries("customRules", raw, _CUSTOM_RULE_KEYS, "rules"):
        is_alert = "alert" in entry
        if is_alert == ("record" in entry):
            raise SettingsError(at, f"needs exactly one of 'record' and 'alert', got {sorted(entry)}")
        kind = "alert" if is_alert else "record"
        name = entry[kind]
        if not isinstance(name, str) or not (_ALERT_NAME if is_alert else _RECORD_NAME).match(name):
            raise _bad(f"{at}.{kind}", "an alert name like AgentSlow" if is_alert
                       else "a metric name like mcp_mesh:my_ratio", name)
        if name in taken:
            raise SettingsError(f"{at}.{kind}", f"rule {name!r} is already defined")
        taken.add(name)
        expr = entry.get("expr")
        if not isinstance(expr, str) or not expr.strip():
            raise _bad(f"{at}.expr", f"the PromQL expression of rule {name!r}", expr)
        labels = _string_map(f"{at}.labels", entry.get("labels", {}))
        for label in labels:
            if not _LABEL_NAME.match(label):
                raise _bad(f"{at}.labels", f"Prometheus label names in rule {name!r}", label)
        try:
            if not is_alert:
                if "for" in entry or "annotations" in entry:
                    raise SettingsError(at, f"recording rule {name!r} takes no 'for' or 'annotations'")
                rules.append(RecordingRule(record=name, expr=expr, labels=labels))
                continue
            annotations = _string_map(f"{at}.annotations", entry.get("annotations", {}))
            for required in (c.ANNOTATION_SUMMARY, c.ANNOTATION_DESCRIPTION):
                if not annotations.get(required, "").strip():
                    raise SettingsError(f"{at}.annotations", f"alert {name!r} needs a {required!r} annotation")
            for key, text in annotations.items():
                if "{%" in text:
                    raise SettingsError(f"{at}.annotations.{key}",
                                        f"alert {name!r}: Jinja markup ('{{%') is not a Prometheus template")
            labels.setdefault(c.LABEL_SEVERITY, c.SEVERITY_WARNING)
            if labels[c.LABEL_SEVERITY] not in _SEVERITIES:
                raise _bad(f"{at}.labels.{c.LABEL_SEVERITY}", " or ".join(_SEVERITIES), labels[c.LABEL_SEVERITY])
            for_ = _duration(f"{at}.for", str(entry["for"])) if "for" in entry else None
            rules.append(AlertingRule(alert=name, expr=expr, for_=for_, labels=labels, annotations=annotations))
        except InvalidResource as err:
            raise SettingsError(at, str(err)) from None
    return tuple(rules)


def _rule_settings(get: Callable[[str], Any]) -> RuleSettings:
    url = get("runbookBaseUrl")
    if not _URL.match(url) or "#" in url:
        raise _bad("runbookBaseUrl", "an http:// or https:// URL without a #fragment", url)
    percent = get("prometheusMemoryAlertPercent")
    if not 0 < percent <= 100:
        raise _bad("prometheusMemoryAlertPercent", "a percentage from 1 to 100", percent)
    return RuleSettings(
        runbook_base_url=url,
        slo_latency_seconds=float(duration_seconds(_duration("sloLatencyThreshold", get("sloLatencyThreshold")))),
        registry_latency_seconds=float(duration_seconds(
            _duration("registryLatencyThreshold", get("registryLatencyThreshold")))),
        remote_write_max_lag_seconds=float(duration_seconds(
            _duration("remoteWriteMaxLag", get("remoteWriteMaxLag")))),
        memory_alert_ratio=percent / 100,
        custom=_custom_rules(get("customRules")),
    )


def required_secrets(settings: StackSettings) -> list[str]:
    """Secret settings this stack cannot be deployed without."""
    keys = []
    if settings.slack_enabled:
        keys.append(c.SECRET_SLACK_WEBHOOK)
    if settings.pagerduty_enabled:
        keys.append(c.SECRET_PAGERDUTY_ROUTING_KEY)
    if any(t.basic_auth for t in settings.remote_write):
        keys.append(c.SECRET_REMOTE_WRITE_CREDENTIALS)
    if settings.federation and settings.federation.exposure is Exposure.INGRESS:
        keys.append(c.SECRET_FEDERATION_BASIC_AUTH)
    return keys


def load_settings(stack: str, config: Mapping[str, Any], secrets_set=frozenset(),
                  check_secrets: bool = False) -> StackSettings:
    """Validate a stack's configuration and build its :class:`StackSettings`.

    ``config`` maps setting keys (with or without the ``mcp-mesh-monitoring:``
    namespace; keys of other namespaces, such as ``kubernetes:context``, are
    ignored) to values. Secret settings must not appear in it: their presence
    is given by ``secrets_set``, their values never reach the model. With
    ``check_secrets`` a secret the stack needs but does not have is an error.
    """
    values: dict[str, Any] = {}
    for full_key, raw in config.items():
        namespace, _, key = full_key.rpartition(":")
        if namespace and namespace != PROJECT:
            continue
        spec = SPEC_BY_KEY.get(key)
        if spec is None:
            raise _unknown(key, SPEC_BY_KEY)
        if spec.secret:
            raise SettingsError(key, "is a secret: set it with `pulumi config set --secret`, not in plain text")
        values[key] = _coerce(spec, raw)
    for key in secrets_set:
        if key not in SECRET_KEYS:
            raise _unknown(key, SPEC_BY_KEY)

    def get(key: str) -> Any:
        if key in values:
            return values[key]
        return _coerce(SPEC_BY_KEY[key], SPEC_BY_KEY[key].default)

    role = _enum("role", Role, get("role"))
    cluster, region = get("cluster"), get("region")
    profile = roles.profile(role)
    if profile.needs_cluster and not cluster:
        raise SettingsError("cluster", f"required for a {role} stack, got ''")
    if profile.needs_region and not region:
        raise SettingsError("region", f"required for a {role} stack, got ''")
    for key, val in (("cluster", cluster), ("region", region)):
        if val:
            _dns_label(key, val)

    charts = ChartVersions(
        kube_prometheus_stack=get("kubePrometheusStackVersion"),
        prometheus_operator_crds=get("prometheusOperatorCrdsVersion"),
        blackbox_exporter=get("blackboxExporterVersion"),
    )
    for key in ("kubePrometheusStackVersion", "prometheusOperatorCrdsVersion", "blackboxExporterVersion"):
        if not _SEMVER.match(get(key)):
            raise _bad(key, "a chart version like 1.2.3", get(key))

    storage = StorageSettings(
        create_class=get("storageCreateClass"),
        class_name=get("storageClassName"),
        provisioner=get("storageProvisioner"),
        parameters=_string_map("storageParameters", get("storageParameters")),
        reclaim_policy=_enum("storageReclaimPolicy", ReclaimPolicy, get("storageReclaimPolicy")),
        allow_volume_expansion=get("storageVolumeExpansion"),
        size=_quantity("storageSize", get("storageSize"), "100Gi"),
        access_modes=tuple(_enum("storageAccessModes", AccessMode, m) for m in get("storageAccessModes")),
    )
    if storage.class_name:
        _dns_label("storageClassName", storage.class_name)
    elif storage.create_class:
        raise SettingsError("storageClassName", "required when storageCreateClass is true, got ''")
    if storage.create_class and not storage.provisioner:
        raise SettingsError("storageProvisioner", "required when storageCreateClass is true, got ''")
    if not storage.access_modes:
        raise _bad("storageAccessModes", "at least one access mode", [])

    resources = ResourceSettings(
        cpu_request=_quantity("prometheusCpuRequest", get("prometheusCpuRequest"), "500m"),
        memory_request=_quantity("prometheusMemoryRequest", get("prometheusMemoryRequest"), "2Gi"),
        cpu_limit=_quantity("prometheusCpuLimit", get("prometheusCpuLimit"), "2"),
        memory_limit=_quantity("prometheusMemoryLimit", get("prometheusMemoryLimit"), "4Gi"),
    )
    for limit_key, limit, request_key, request in (
        ("prometheusCpuLimit", resources.cpu_limit, "prometheusCpuRequest", resources.cpu_request),
        ("prometheusMemoryLimit", resources.memory_limit, "prometheusMemoryRequest", resources.memory_request),
    ):
        if quantity_value(limit) < quantity_value(request):
            raise SettingsError(limit_key, f"must not be below {request_key} ({request}), got {limit!r}")

    prometheus = PrometheusSettings(
        retention=_duration("retention", get("retention")),
        retention_size=_byte_size("retentionSize", get("retentionSize")),
        replicas=_positive_int("prometheusReplicas", get("prometheusReplicas")),
        scrape_interval=_duration("scrapeInterval", get("scrapeInterval")),
        evaluation_interval=_duration("evaluationInterval", get("evaluationInterval")),
        enable_features=tuple(_enum("enableFeatures", FeatureFlag, f) for f in get("enableFeatures")),
        resources=resources,
        drop_metrics=tuple(_regex("dropMetrics", r) for r in get("dropMetrics")),
    )

    external_labels = _string_map("externalLabels", get("externalLabels"))
    for name in external_labels:
        if not _LABEL_NAME.match(name):
            raise _bad("externalLabels", "Prometheus label names", name)
        if name in (c.LABEL_CLUSTER, c.LABEL_REGION):
            raise SettingsError(f"externalLabels.{name}", f"is set from the '{name}' setting; remove it here")
    external_labels = {c.LABEL_CLUSTER: cluster or stack, c.LABEL_REGION: region or c.DEFAULT_REGION,
                       **external_labels}

    remote_write = _remote_write(get("remoteWrite"))

    alertmanager = AlertmanagerSettings(
        enabled=get("alertmanagerEnabled"),
        group_by=get("alertmanagerGroupBy"),
        group_wait=_duration("alertmanagerGroupWait", get("alertmanagerGroupWait")),
        group_interval=_duration("alertmanagerGroupInterval", get("alertmanagerGroupInterval")),
        repeat_interval=_duration("alertmanagerRepeatInterval", get("alertmanagerRepeatInterval")),
        resolve_timeout=_duration("alertmanagerResolveTimeout", get("alertmanagerResolveTimeout")),
        slack_channel=get("slackChannel"),
        page_slack_channel=get("pageSlackChannel"),
        ticket_slack_channel=get("ticketSlackChannel"),
        pagerduty_pages=get("pagerdutyPages"),
    )
    for key in ("slackChannel", "pageSlackChannel", "ticketSlackChannel"):
        if get(key) and not re.match(r"^[#@][\w.-]+$", get(key)):
            raise _bad(key, "a channel like #alerts", get(key))
    for key in ("pageSlackChannel", "ticketSlackChannel"):
        if get(key) and not alertmanager.slack_channel:
            raise SettingsError(key, f"needs slackChannel (the Slack webhook's receiver), got {get(key)!r} "
                                     "with slackChannel ''")

    settings = StackSettings(
        stack=stack,
        role=role,
        cluster=cluster or stack,
        region=region or c.DEFAULT_REGION,
        namespace=_dns_label("namespace", get("namespace")),
        release_name=_dns_label("releaseName", get("releaseName")),
        protect=get("protect"),
        charts=charts,
        storage=storage,
        prometheus=prometheus,
        external_labels=external_labels,
        remote_write=remote_write,
        grafana=GrafanaSettings(
            enabled=get("grafanaEnabled"),
            persistence_size=_quantity("grafanaPersistenceSize", get("grafanaPersistenceSize"), "10Gi"),
            admin_user=_non_empty("grafanaAdminUser", get("grafanaAdminUser")),
        ),
        alertmanager=alertmanager,
        mesh=MeshSettings(
            namespace=_dns_label("meshNamespace", get("meshNamespace")),
            agent_selector=_label_selector("agentSelector", get("agentSelector")),
            agent_name_label=_label_key("agentNameLabel", get("agentNameLabel")),
            registry_selector=_label_selector("registrySelector", get("registrySelector")),
            registry_service=_dns_label("registryServiceName", get("registryServiceName")),
            registry_serves_metrics=get("registryServesMetrics"),
            blackbox_exporter=get("blackboxExporterEnabled"),
            kubernetes_sd_jobs=get("kubernetesSdJobs"),
        ),
        rules=_rule_settings(get),
        federation=_federation(get, role, region),
        secrets_set=frozenset(secrets_set),
    )
    if check_secrets:
        for key in required_secrets(settings):
            if key not in secrets_set:
                raise SettingsError(key, f"required secret is not set: pulumi config set --secret {key} ...")
    return settings


# --------------------------------------------------------------------------
# Pulumi.yaml's config block, generated from SPECS
# --------------------------------------------------------------------------

def project_config_block() -> dict[str, Any]:
    """The ``config:`` block of ``Pulumi.yaml``: every setting with its type and default.

    Pulumi's project config declares only string, integer, boolean and array
    types; object-valued settings are given by default value alone.
    """
    block: dict[str, Any] = {}
    for spec in SPECS:
        if spec.secret and spec.kind is Kind.OBJECT:
            continue  # set by path (`--path --secret`); Pulumi.yaml cannot type an object
        if spec.kind is Kind.OBJECT:
            block[spec.key] = {"value": spec.default}
            continue
        entry: dict[str, Any] = {"type": spec.kind.value}
        if spec.kind is Kind.ARRAY:
            entry["items"] = {"type": "string"}
        entry["description"] = spec.description
        if spec.secret:
            entry["secret"] = True
        else:
            entry["default"] = list(spec.default) if spec.kind is Kind.ARRAY else spec.default
        block[spec.key] = entry
    return block


if __name__ == "__main__":  # pragma: no cover - a developer aid
    import yaml

    yaml.safe_dump({"config": project_config_block()}, sys.stdout, sort_keys=False, width=120)
