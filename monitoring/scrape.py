"""What Prometheus scrapes in the mesh, as typed prometheus-operator resources.

The CR types (:class:`ServiceMonitor`, :class:`PodMonitor`, :class:`Probe`,
:class:`ScrapeConfig` and their parts) follow :mod:`monitoring.resources`:
frozen dataclasses, snake_case fields, an explicit ``to_manifest()`` with the
CRD's camelCase names, only the fields this program uses. Relabelings are
:class:`~monitoring.resources.RelabelConfig`, so a bad regex fails at
construction with the relabeling's name.

:func:`mesh_scrape_resources` builds the monitors of one stack from its
settings. Their defaults follow upstream MCP Mesh as deployed
(``shared/reference/mcp-mesh-upstream.md``), not the guide:

- the guide selects agents by ``app.kubernetes.io/part-of: mcp-mesh``, which no
  upstream object carries, and names them by a pod label ``agent_name`` that
  does not exist. An agent's ``agent`` label is its mesh name, the one its own
  series carry; target labels never overwrite it (:func:`keep_own_agent_label`);
- the guide scrapes the registry's ``/metrics``, which upstream answers with
  404: a target that is down forever. The registry is probed on ``/health``
  through the blackbox exporter instead, and scraped only when a stack says
  its registry serves metrics;
- the request metrics exist only where an agent uses the instrumentation
  library, which serves them on its own port inside the pod. The upstream
  agent chart declares no container port but ``http`` and has no value to add
  one; its ``podAnnotations`` value is what says a pod serves the library's
  port (:func:`library_port_from_annotations`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Mapping

from monitoring import conventions as c
from monitoring.resources import (
    MONITORING_API_V1,
    CustomResource,
    MONITORING_API_V1ALPHA1,
    InvalidResource,
    Metadata,
    RelabelAction,
    RelabelConfig,
    _drop_empty,
)
from monitoring.settings import StackSettings

# --------------------------------------------------------------------------
# Labels Prometheus' kubernetes_sd gives a target (what relabelings read)
# --------------------------------------------------------------------------
META_NAMESPACE = "__meta_kubernetes_namespace"
META_POD_NAME = "__meta_kubernetes_pod_name"
META_SERVICE_NAME = "__meta_kubernetes_service_name"
# The pod annotation convention (prometheus.io/scrape|path|port): the guide's,
# the upstream registry chart's, and what agent pods carry for the library's port.
ANNOTATION_SCRAPE = "prometheus.io/scrape"
ANNOTATION_PATH = "prometheus.io/path"
ANNOTATION_PORT = "prometheus.io/port"
# Relabeling scratch label (``__``-prefixed labels are dropped once relabeling ends).
TMP_METRICS_PORT = "__tmp_mesh_metrics_port"
ADDRESS = "__address__"
METRICS_PATH_LABEL = "__metrics_path__"
METRIC_NAME = "__name__"
JOB = "job"


def meta_label(label_key: str) -> str:
    """A Kubernetes label key as kubernetes_sd spells it inside a meta label name.

    Every character outside ``[a-zA-Z0-9_]`` becomes ``_``:
    ``app.kubernetes.io/instance`` -> ``app_kubernetes_io_instance``.
    """
    return re.sub(r"[^a-zA-Z0-9_]", "_", label_key)


def _literal(value: str) -> str:
    """A regex matching exactly ``value``, a Kubernetes name or label value.

    Those hold only ``[A-Za-z0-9._-]`` (validated in settings), of which only
    ``.`` means something in a regex outside a character class.
    """
    return value.replace(".", r"\.")


def pod_label(label_key: str) -> str:
    return f"__meta_kubernetes_pod_label_{meta_label(label_key)}"


def pod_annotation(annotation: str) -> str:
    return f"__meta_kubernetes_pod_annotation_{meta_label(annotation)}"


# --------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class _ScrapeEndpoint:
    """What ServiceMonitor endpoints and PodMonitor endpoints share."""

    path: str | None = None
    interval: str | None = None
    # Always emitted, so the choice is visible in every manifest.
    honor_labels: bool = False
    honor_timestamps: bool | None = None
    relabelings: tuple[RelabelConfig, ...] = ()
    metric_relabelings: tuple[RelabelConfig, ...] = ()

    def _scrape_fields(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "interval": self.interval,
            "honorLabels": self.honor_labels,
            "honorTimestamps": self.honor_timestamps,
            "relabelings": [r.to_manifest() for r in self.relabelings],
            "metricRelabelings": [r.to_manifest() for r in self.metric_relabelings],
        }


@dataclass(frozen=True, kw_only=True)
class Endpoint(_ScrapeEndpoint):
    """A ServiceMonitor endpoint: one named Service port."""

    port: str

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"port": self.port, **self._scrape_fields()})


@dataclass(frozen=True, kw_only=True)
class PodMetricsEndpoint(_ScrapeEndpoint):
    """A PodMonitor endpoint: a container port, by name or by number."""

    port: str | None = None
    port_number: int | None = None

    def __post_init__(self):
        if (self.port is None) == (self.port_number is None):
            raise InvalidResource("pod metrics endpoint: set exactly one of port and port_number")
        if self.port_number is not None and not 1 <= self.port_number <= 65535:
            raise InvalidResource(f"pod metrics endpoint: port number out of range, got {self.port_number}")

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"port": self.port, "portNumber": self.port_number, **self._scrape_fields()})


# --------------------------------------------------------------------------
# Monitors, probes, scrape configs
# --------------------------------------------------------------------------

def _selector(labels: Mapping[str, str]) -> dict[str, Any]:
    return {"matchLabels": dict(sorted(labels.items()))}


def _namespace_selector(namespaces: tuple[str, ...]) -> dict[str, Any]:
    return {"matchNames": list(namespaces)}


def _require(owner: str, what: str, items: tuple) -> None:
    if not items:
        raise InvalidResource(f"{owner}: needs at least one {what}")


@dataclass(frozen=True)
class _Monitor(CustomResource):
    """What ServiceMonitor and PodMonitor share: all but the name of their endpoints field."""

    metadata: Metadata
    selector: Mapping[str, str]
    namespaces: tuple[str, ...]
    endpoints: tuple[_ScrapeEndpoint, ...]

    endpoints_field: ClassVar[str]  # the CRD's name of the endpoints list

    def __post_init__(self):
        _require(f"{self.kind} {self.name!r}", "endpoint", self.endpoints)
        _require(f"{self.kind} {self.name!r}", "selector label", tuple(self.selector))

    def spec(self) -> dict[str, Any]:
        return {
            "selector": _selector(self.selector),
            "namespaceSelector": _namespace_selector(self.namespaces),
            self.endpoints_field: [e.to_manifest() for e in self.endpoints],
        }


@dataclass(frozen=True)
class ServiceMonitor(_Monitor):
    endpoints: tuple[Endpoint, ...]

    api_version = MONITORING_API_V1
    kind = "ServiceMonitor"
    endpoints_field = "endpoints"


@dataclass(frozen=True)
class PodMonitor(_Monitor):
    endpoints: tuple[PodMetricsEndpoint, ...]

    api_version = MONITORING_API_V1
    kind = "PodMonitor"
    endpoints_field = "podMetricsEndpoints"


@dataclass(frozen=True)
class Probe(CustomResource):
    """Static targets probed through a prober (the blackbox exporter).

    ``prober_url`` is the prober's ``host:port``; the operator scrapes
    ``http://<prober_url>/probe?module=<module>&target=<target>``.
    """

    metadata: Metadata
    job_name: str
    prober_url: str
    module: str
    targets: tuple[str, ...]
    target_labels: Mapping[str, str] = field(default_factory=dict)
    interval: str | None = None
    metric_relabelings: tuple[RelabelConfig, ...] = ()

    api_version = MONITORING_API_V1
    kind = "Probe"

    def __post_init__(self):
        _require(f"Probe {self.name!r}", "target", self.targets)

    def spec(self) -> dict[str, Any]:
        return _drop_empty({
            "jobName": self.job_name,
            "prober": {"url": self.prober_url},
            "module": self.module,
            "interval": self.interval,
            "targets": {"staticConfig": _drop_empty({
                "static": list(self.targets),
                "labels": dict(sorted(self.target_labels.items())),
            })},
            "metricRelabelings": [r.to_manifest() for r in self.metric_relabelings],
        })


class KubernetesRole(StrEnum):
    """kubernetes_sd roles, spelt as the ScrapeConfig CRD's enum has them."""

    POD = "Pod"
    ENDPOINTS = "Endpoints"


@dataclass(frozen=True)
class KubernetesSDConfig:
    role: KubernetesRole
    namespaces: tuple[str, ...] = ()

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"role": self.role.value,
                            "namespaces": {"names": list(self.namespaces)} if self.namespaces else None})


@dataclass(frozen=True)
class StaticConfig:
    targets: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"targets": list(self.targets), "labels": dict(sorted(self.labels.items()))})


@dataclass(frozen=True)
class ScrapeConfig(CustomResource):
    """A scrape job written out (monitoring.coreos.com/v1alpha1).

    The operator names the Prometheus job itself (``scrapeConfig/<ns>/<name>``)
    and sets the ``job`` label to ``job_name``.
    """

    metadata: Metadata
    job_name: str
    kubernetes_sd_configs: tuple[KubernetesSDConfig, ...] = ()
    static_configs: tuple[StaticConfig, ...] = ()
    metrics_path: str | None = None
    params: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scrape_interval: str | None = None
    honor_labels: bool | None = None
    honor_timestamps: bool | None = None
    relabelings: tuple[RelabelConfig, ...] = ()
    metric_relabelings: tuple[RelabelConfig, ...] = ()
    # {"username": SecretKeySelector, "password": SecretKeySelector}: credentials by reference only.
    basic_auth: Mapping[str, Mapping[str, str]] | None = None
    # TLS of https targets: {"ca": {"secret": SecretKeySelector}}, by reference only.
    tls_config: Mapping[str, Any] | None = None

    api_version = MONITORING_API_V1ALPHA1
    kind = "ScrapeConfig"

    def __post_init__(self):
        _require(f"ScrapeConfig {self.name!r}", "static or kubernetes_sd config",
                 (*self.kubernetes_sd_configs, *self.static_configs))

    def spec(self) -> dict[str, Any]:
        return _drop_empty({
            "jobName": self.job_name,
            "kubernetesSDConfigs": [k.to_manifest() for k in self.kubernetes_sd_configs],
            "staticConfigs": [s.to_manifest() for s in self.static_configs],
            "metricsPath": self.metrics_path,
            "params": {k: list(v) for k, v in self.params.items()},
            "scrapeInterval": self.scrape_interval,
            "honorLabels": self.honor_labels,
            "honorTimestamps": self.honor_timestamps,
            "relabelings": [r.to_manifest() for r in self.relabelings],
            "metricRelabelings": [r.to_manifest() for r in self.metric_relabelings],
            "basicAuth": {k: dict(v) for k, v in self.basic_auth.items()} if self.basic_auth else None,
            "tlsConfig": dict(self.tls_config) if self.tls_config else None,
        })


# --------------------------------------------------------------------------
# Relabelings of the mesh jobs
# --------------------------------------------------------------------------

def set_job(job: str) -> RelabelConfig:
    """Set ``job`` to one of the conventions' job names.

    The operator's default job label is the Service name (ServiceMonitor) or
    ``<namespace>/<PodMonitor name>``, i.e. one job per agent release or a name
    nothing matches on. ``jobLabel`` cannot help: it copies the value of a
    Service or pod label, and upstream objects carry none holding a job name.
    User relabelings run after the operator's own, so this one wins.
    """
    return RelabelConfig(f"job {job}", target_label=JOB, replacement=job)


def target_identity(settings: StackSettings, *, agent: bool) -> tuple[RelabelConfig, ...]:
    """``agent`` (optionally), ``namespace`` and ``pod`` on every series of a target.

    The guide's relabelings, fixed for upstream. The target's ``agent`` is the
    fallback for series that carry no ``agent`` label of their own (``up``, the
    scrape series, gauges without one): the value of the pod label
    ``agentNameLabel`` (default ``app.kubernetes.io/instance``, the Helm release),
    not a pod label ``agent_name`` no chart sets. A series' own ``agent`` (the
    mesh name) wins over it: :func:`keep_own_agent_label`, in the metric
    relabelings of every job that sets it. The namespace comes from
    ``__meta_kubernetes_namespace``: the guide's ``__meta_kubernetes_pod_namespace``
    is not a label kubernetes_sd produces, so its ``namespace`` came out empty.
    The operator adds ``namespace`` and ``pod`` to monitors' targets too; they
    are written here as well so the rules' label contract does not rest on
    operator internals and holds for ScrapeConfigs, where it adds none.
    """
    out = []
    if agent:
        label = settings.mesh.agent_name_label
        out.append(RelabelConfig(f"agent fallback from pod label {label}",
                                 source_labels=(pod_label(label),), target_label=c.LABEL_AGENT))
    out += [
        RelabelConfig("namespace", source_labels=(META_NAMESPACE,), target_label=c.LABEL_NAMESPACE),
        RelabelConfig("pod", source_labels=(META_POD_NAME,), target_label=c.LABEL_POD),
    ]
    return tuple(out)


def keep_own_agent_label() -> tuple[RelabelConfig, ...]:
    """Metric relabelings: a series' own ``agent`` label wins over the target's.

    With ``honorLabels: false`` Prometheus stores a scraped ``agent`` that
    clashes with the target's as ``exported_agent``, and metric relabelings
    run after that: these move it back to ``agent`` and drop
    ``exported_agent``. So the mesh name the agent reports (the library's
    ``agent`` label, the upstream gauges' too) is the ``agent`` of its series
    whatever its release is called, and series without one keep the target's
    fallback. ``honorLabels`` stays false so a pod cannot set ``job``,
    ``namespace``, ``pod`` or ``instance``.
    """
    return (
        RelabelConfig("agent: the series' own", source_labels=(c.LABEL_EXPORTED_AGENT,), regex="(.+)",
                      target_label=c.LABEL_AGENT),
        RelabelConfig("drop exported_agent", action=RelabelAction.LABELDROP, regex=c.LABEL_EXPORTED_AGENT),
    )


def agent_metric_relabelings(settings: StackSettings) -> tuple[RelabelConfig, ...]:
    """The metric relabelings of every job whose targets carry the fallback ``agent``."""
    return (*drop_metrics(settings), *keep_own_agent_label())


# What kubernetes_sd's ``__address__`` looks like: ``host:port``, an IPv6 host in brackets.
_ADDRESS_AND_PORT = r"(\[.+\]|[^:]+)(?::\d+)?;(\d+)"


def address_on_port(port_label: str) -> RelabelConfig:
    """Point ``__address__`` at the port held by ``port_label`` (same host)."""
    return RelabelConfig(f"port from {port_label}", source_labels=(ADDRESS, port_label), target_label=ADDRESS,
                         regex=_ADDRESS_AND_PORT, replacement="$1:$2")


def annotated_for_scraping() -> tuple[RelabelConfig, ...]:
    """Keep pods annotated ``prometheus.io/scrape: "true"``; the path from ``prometheus.io/path``.

    The keep regex is the string ``"true"``: the guide's unquoted ``regex: true``
    is a YAML boolean, which the CRD (a string field) rejects.
    """
    return (
        RelabelConfig("keep pods annotated for scraping", action=RelabelAction.KEEP,
                      source_labels=(pod_annotation(ANNOTATION_SCRAPE),), regex="true"),
        RelabelConfig("metrics path from annotation", source_labels=(pod_annotation(ANNOTATION_PATH),),
                      target_label=METRICS_PATH_LABEL, regex="(.+)"),
    )


def drop_selected_pods(what: str, selector: Mapping[str, str]) -> RelabelConfig:
    """Drop the pods whose labels match ``selector`` (every key, exact values)."""
    keys = sorted(selector)
    return RelabelConfig(f"drop {what} pods", action=RelabelAction.DROP,
                         source_labels=tuple(pod_label(k) for k in keys),
                         regex=";".join(_literal(selector[k]) for k in keys))


def library_port_from_annotations() -> tuple[RelabelConfig, ...]:
    """Keep agent pods annotated ``prometheus.io/scrape: "true"``; scrape the library's port.

    The port is ``prometheus.io/port`` (default ``METRICS_PORT``, 9464), the
    path ``prometheus.io/path`` (default ``/metrics``). The upstream chart
    declares one container port, ``http``, and has no value for more, so the
    pod cannot declare the library's port; ``podAnnotations`` it has. The
    target is discovered on ``http`` and moved to the annotated port, as the
    PodMonitor CRD documents for undeclared ports. Pods without the
    annotation are not scraped on it: an agent without the library is not a
    target that is down forever.
    """
    return (
        *annotated_for_scraping(),
        RelabelConfig("library port by default", target_label=TMP_METRICS_PORT, replacement=str(c.METRICS_PORT)),
        RelabelConfig("library port from annotation", source_labels=(pod_annotation(ANNOTATION_PORT),),
                      target_label=TMP_METRICS_PORT, regex=r"(\d+)"),
        address_on_port(TMP_METRICS_PORT),
    )


def drop_metrics(settings: StackSettings) -> tuple[RelabelConfig, ...]:
    """The metric relabelings of every mesh job: drop the ``dropMetrics`` names.

    Of the guide's metricRelabelings only the drop is kept. Its
    ``__name__ -> __tmp_prometheus_job_name`` step writes a temporary label
    (``__``-prefixed labels are discarded after relabeling) that nothing reads;
    the operator uses that name itself for the job name in target relabelings.
    Its ``trace_id -> trace_id`` step copies a label onto itself, and no series
    has one to copy: neither the upstream gauges nor the instrumentation
    library label metrics with a trace id (unbounded cardinality). Trace
    correlation goes through exemplars (the ``exemplar-storage`` feature), so the
    step is removed rather than made meaningful.
    """
    return tuple(
        RelabelConfig(f"dropMetrics[{i}]", action=RelabelAction.DROP, source_labels=(METRIC_NAME,), regex=regex)
        for i, regex in enumerate(settings.prometheus.drop_metrics)
    )


# The ``agent`` label clash, decided once for every agent job: both the
# upstream gauges and the library label their series ``agent`` themselves
# with the agent's mesh name, which is the agent's identity in every rule,
# alert and federated series. honorLabels is false, so a pod cannot overwrite
# job, namespace, pod or instance; keep_own_agent_label() then restores the
# series' own ``agent`` over the target's fallback.
AGENT_HONOR_LABELS = False


def _metadata(settings: StackSettings, name: str) -> Metadata:
    """Every CR lives in the monitoring namespace with the selector label."""
    return Metadata(name=name, namespace=settings.namespace, labels=c.selector_labels(settings.release_name))


# --------------------------------------------------------------------------
# The mesh's monitors
# --------------------------------------------------------------------------

def agents_monitor(settings: StackSettings) -> ServiceMonitor:
    """The upstream agents' own gauges (``mcp_mesh_up``, ``mcp_mesh_wrappers_total``).

    Served on the agents' Service port ``http`` (8080). Upstream agents started
    without the /metrics route answer 404 there, so their target in this job
    has ``up == 0`` while the agent is healthy: alerts on this job's ``up``
    must not read it as "agent down" (``mcp_mesh_up`` absent is the gauge's
    own signal; the library's job is the request-metrics one).
    """
    mesh = settings.mesh
    return ServiceMonitor(
        metadata=_metadata(settings, c.JOB_AGENTS),
        selector=mesh.agent_selector,
        namespaces=(mesh.namespace,),
        endpoints=(Endpoint(
            port=c.MESH_HTTP_PORT_NAME,
            path=c.METRICS_PATH,
            # The guide's: keep the agent's own sample timestamps when it sends any.
            honor_timestamps=True,
            honor_labels=AGENT_HONOR_LABELS,
            relabelings=(set_job(c.JOB_AGENTS), *target_identity(settings, agent=True)),
            metric_relabelings=agent_metric_relabelings(settings),
        ),),
    )


def agent_metrics_monitor(settings: StackSettings) -> PodMonitor:
    """The instrumentation library's request metrics, on its port inside agent pods.

    A PodMonitor, because the upstream agent Service exposes only ``http``.
    Discovered on the pod's ``http`` port (the one port the upstream chart
    declares, so one target per pod) and scraped where the pod's annotations
    say: :func:`library_port_from_annotations`.
    """
    mesh = settings.mesh
    return PodMonitor(
        metadata=_metadata(settings, c.JOB_AGENT_METRICS),
        selector=mesh.agent_selector,
        namespaces=(mesh.namespace,),
        endpoints=(PodMetricsEndpoint(
            port=c.MESH_HTTP_PORT_NAME,
            path=c.METRICS_PATH,
            honor_timestamps=True,
            honor_labels=AGENT_HONOR_LABELS,
            relabelings=(set_job(c.JOB_AGENT_METRICS), *library_port_from_annotations(),
                         *target_identity(settings, agent=True)),
            metric_relabelings=agent_metric_relabelings(settings),
        ),),
    )


def keep_registry_service(settings: StackSettings) -> RelabelConfig:
    """Keep the registry's Service alone.

    The upstream registry chart creates two Services with the same labels and
    an ``http`` port: ``<fullname>`` and ``<fullname>-headless``. Selected by
    labels, every registry pod would be scraped twice.
    """
    return RelabelConfig("keep the registry service", action=RelabelAction.KEEP,
                         source_labels=(META_SERVICE_NAME,), regex=_literal(settings.mesh.registry_service))


def registry_monitor(settings: StackSettings) -> ServiceMonitor:
    """The registry's /metrics, for stacks whose registry serves them (upstream's does not)."""
    mesh = settings.mesh
    return ServiceMonitor(
        metadata=_metadata(settings, c.JOB_REGISTRY),
        selector=mesh.registry_selector,
        namespaces=(mesh.namespace,),
        endpoints=(Endpoint(
            port=c.MESH_HTTP_PORT_NAME,
            path=c.METRICS_PATH,
            honor_labels=False,
            relabelings=(set_job(c.JOB_REGISTRY), keep_registry_service(settings),
                         *target_identity(settings, agent=False)),
            metric_relabelings=drop_metrics(settings),
        ),),
    )


def registry_probe(settings: StackSettings) -> Probe:
    """Registry availability: the blackbox exporter's GET of ``/health``.

    ``probe_success{job="mcp-mesh-registry-probe"}`` is 1 while the registry
    answers 2xx; it is the registry's liveness signal whether or not it serves
    metrics.
    """
    mesh = settings.mesh
    return Probe(
        metadata=_metadata(settings, c.JOB_REGISTRY_PROBE),
        job_name=c.JOB_REGISTRY_PROBE,
        prober_url=c.blackbox_exporter_address(settings.namespace),
        module=c.BLACKBOX_MODULE_HTTP_2XX,
        targets=(c.registry_health_url(mesh.registry_service, mesh.namespace),),
        target_labels={c.LABEL_NAMESPACE: mesh.namespace, c.LABEL_SERVICE: mesh.registry_service},
    )


REGISTRY_ENDPOINTS_INTERVAL = "15s"  # the guide's "higher frequency" for the registry


def registry_endpoints_scrape_config(settings: StackSettings) -> ScrapeConfig:
    """The guide's ``mcp-mesh-registry`` kubernetes_sd job (endpoints role).

    The guide keeps every Service whose name matches ``.*registry.*``, which
    is both Services of the upstream registry chart (and any other registry
    in the namespace); this keeps the registry Service alone.
    """
    return ScrapeConfig(
        metadata=_metadata(settings, c.JOB_REGISTRY_ENDPOINTS),
        job_name=c.JOB_REGISTRY_ENDPOINTS,
        scrape_interval=REGISTRY_ENDPOINTS_INTERVAL,
        kubernetes_sd_configs=(KubernetesSDConfig(KubernetesRole.ENDPOINTS, (settings.mesh.namespace,)),),
        relabelings=(
            keep_registry_service(settings),
            RelabelConfig("namespace", source_labels=(META_NAMESPACE,), target_label=c.LABEL_NAMESPACE),
            RelabelConfig("service", source_labels=(META_SERVICE_NAME,), target_label=c.LABEL_SERVICE),
        ),
        metric_relabelings=drop_metrics(settings),
    )


def annotated_pods_scrape_config(settings: StackSettings) -> ScrapeConfig:
    """The guide's ``mcp-mesh-agents`` kubernetes_sd job: other pods that ask to be scraped.

    Agent and registry pods are left out: they carry the same annotations
    (agents for the library's port, the upstream registry chart for a
    ``/metrics`` nothing serves) and have jobs of their own; scraped here too,
    every agent series would be stored twice and the registry would be a
    target that is down forever.
    """
    return ScrapeConfig(
        metadata=_metadata(settings, c.JOB_ANNOTATED_PODS),
        job_name=c.JOB_ANNOTATED_PODS,
        kubernetes_sd_configs=(KubernetesSDConfig(KubernetesRole.POD, (settings.mesh.namespace,)),),
        relabelings=(
            drop_selected_pods("agent", settings.mesh.agent_selector),
            drop_selected_pods("registry", settings.mesh.registry_selector),
            *annotated_for_scraping(),
            address_on_port(pod_annotation(ANNOTATION_PORT)),
            *target_identity(settings, agent=True),
        ),
        metric_relabelings=agent_metric_relabelings(settings),
    )


def mesh_scrape_resources(settings: StackSettings) -> tuple[CustomResource, ...]:
    """Every monitor, probe and scrape config of a stack, in a stable order."""
    mesh = settings.mesh
    out: list[CustomResource] = [agents_monitor(settings), agent_metrics_monitor(settings)]
    if mesh.registry_serves_metrics:
        out.append(registry_monitor(settings))
    if mesh.blackbox_exporter:
        out.append(registry_probe(settings))
    if mesh.kubernetes_sd_jobs:
        out += [registry_endpoints_scrape_config(settings), annotated_pods_scrape_config(settings)]
    return tuple(out)


# --------------------------------------------------------------------------
# The blackbox exporter release
# --------------------------------------------------------------------------

def blackbox_exporter_values() -> dict[str, Any]:
    """Helm values of the prometheus-blackbox-exporter chart.

    The module the registry Probe names is written out (with the chart's own
    default settings) so that it is part of this program's contract rather
    than of a chart default a chart upgrade could change.
    """
    return {
        "config": {"modules": {c.BLACKBOX_MODULE_HTTP_2XX: {
            "prober": "http",
            "timeout": "5s",
            "http": {
                "valid_http_versions": ["HTTP/1.1", "HTTP/2.0"],
                "follow_redirects": True,
                "preferred_ip_protocol": "ip4",
            },
        }}},
    }
