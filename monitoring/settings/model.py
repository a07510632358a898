"""The typed settings: enums and one frozen dataclass per section of a stack.

Built by :func:`monitoring.settings.load_settings` from the declaration table
(:mod:`monitoring.settings.table`), whose rows name the field each setting fills.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

from monitoring import conventions as c
from monitoring import roles
from monitoring.resources import AlertingRule, RecordingRule

Role = roles.Role


class ClusterFlavour(StrEnum):
    """Who runs the cluster's control plane."""

    EKS = "eks"
    GKE = "gke"
    AKS = "aks"
    SELF_MANAGED = "self-managed"


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


class SLI(StrEnum):
    """What an SLO counts as a good event."""

    AVAILABILITY = "availability"  # a request that succeeded (mcp_mesh_requests_total by status)
    LATENCY = "latency"  # a request served within the threshold (the duration histogram's buckets)


class Severity(StrEnum):
    CRITICAL = c.SEVERITY_CRITICAL
    WARNING = c.SEVERITY_WARNING


@dataclass(frozen=True)
class SLOSettings:
    """One SLO of the ``slos`` setting."""

    name: str
    sli: SLI
    objective: float  # percent of good events, e.g. 99.9
    window: str = "30d"
    # Latency only: seconds, a bucket boundary; None reads sloLatencyThreshold.
    threshold: float | None = None
    agents: tuple[str, ...] = ()  # () covers every agent no other SLO of its SLI names

    @property
    def ratio(self) -> float:
        """The objective as a share of good events (99.9 -> 0.999), without float noise."""
        return round(self.objective / 100, 12)

    @property
    def budget(self) -> float:
        """The error budget: the share of events allowed to be bad (99.9 -> 0.001)."""
        return round(1 - self.objective / 100, 12)


@dataclass(frozen=True)
class RuleOverride:
    """A stack's changes to one alert of the program (``ruleOverrides``); None keeps the program's."""

    for_: str | None = None
    severity: Severity | None = None
    threshold: float | None = None
    disabled: bool = False


@dataclass(frozen=True)
class RuleSettings:
    """Thresholds of the PrometheusRules, and a stack's own extra rules."""

    runbook_base_url: str
    slo_latency_seconds: float
    registry_latency_seconds: float
    remote_write_max_lag_seconds: float
    memory_alert_ratio: float  # share of the Prometheus memory limit
    custom: tuple[RecordingRule | AlertingRule, ...]
    slos: tuple[SLOSettings, ...] = ()
    overrides: Mapping[str, RuleOverride] = field(default_factory=dict)


class Exposure(StrEnum):
    """How the global cluster reaches a regional Prometheus (see monitoring.federation)."""

    SERVICE_NAME = "service-name"
    INTERNAL_LB = "internal-lb"
    INGRESS = "ingress"


# The RFC 1918 private ranges: whom an internal load balancer answers by default.
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


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
    tls_secret: str = ""  # ingress: an existing TLS Secret
    cert_issuer: str = ""  # ingress: a cert-manager ClusterIssuer



@dataclass(frozen=True)
class GrafanaSettings:
    enabled: bool
    persistence_size: str
    admin_user: str
    storage_class: str  # "" means the cluster's default StorageClass


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
    cluster_flavour: ClusterFlavour
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
