"""Kubernetes discovery and prometheus-operator config generation, emulated.

Debian's Prometheus 2.42 is built without kubernetes_sd, and there is no API
server here. To run the monitors' relabelings in a real Prometheus anyway:

- :class:`FakePod` / :class:`FakeService` describe a cluster, and
  :func:`pod_role_targets` / :func:`endpoints_role_targets` turn it into the
  target groups kubernetes_sd would discover (the same ``__meta_kubernetes_*``
  labels), written as ``file_sd_configs`` files; each port's ``__address__``
  points at a local server instead of a pod IP;
- :func:`scrape_configs` translates the typed CRs into Prometheus scrape jobs
  the way prometheus-operator v0.93 does (``pkg/prometheus/promcfg.go``): its
  own relabelings first, then the CR's. Reproduced are the ones that decide
  which targets survive and which labels they carry: the selector and port
  keeps, the pod-phase drop, ``namespace``/``service``/``pod``/``container``/
  ``endpoint``, the default ``job``, and a Probe's target/prober rewrite. The
  namespace restriction, which the operator puts into the discovery config
  (``namespaces.names``), is a keep on ``__meta_kubernetes_namespace`` here.
  Left out: sharding (one shard), scrape-class and enforced-namespace extras,
  limits.

The CR side is the real thing: relabelings come from the CRs' own
:class:`~monitoring.resources.RelabelConfig` objects via ``to_prometheus()``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from monitoring.resources import RelabelAction, RelabelConfig
from monitoring.scrape import (
    META_NAMESPACE,
    KubernetesRole,
    PodMonitor,
    Probe,
    ScrapeConfig,
    ServiceMonitor,
    meta_label,
)

PROBE_PATH = "/probe"  # the blackbox exporter's probe path (the Probe CR's prober default)


# --------------------------------------------------------------------------
# A fake cluster and what kubernetes_sd discovers in it
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class FakePort:
    name: str
    number: int
    address: str  # where the test's server for this port really listens (host:port)


@dataclass(frozen=True)
class FakePod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: tuple[FakePort, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    container: str = "agent"
    phase: str = "Running"


@dataclass(frozen=True)
class FakeService:
    """A Service with one port, backed by the pods whose container port has that name."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    port_name: str
    pods: tuple[FakePod, ...]


def _pod_meta(pod: FakePod) -> dict[str, str]:
    labels = {
        "__meta_kubernetes_namespace": pod.namespace,
        "__meta_kubernetes_pod_name": pod.name,
        "__meta_kubernetes_pod_phase": pod.phase,
        "__meta_kubernetes_pod_ready": "true",
        "__meta_kubernetes_pod_ip": "10.0.0.1",
        "__meta_kubernetes_pod_container_name": pod.container,
    }
    for key, value in pod.labels.items():
        labels[f"__meta_kubernetes_pod_label_{meta_label(key)}"] = value
        labels[f"__meta_kubernetes_pod_labelpresent_{meta_label(key)}"] = "true"
    for key, value in pod.annotations.items():
        labels[f"__meta_kubernetes_pod_annotation_{meta_label(key)}"] = value
        labels[f"__meta_kubernetes_pod_annotationpresent_{meta_label(key)}"] = "true"
    return labels


def _port_meta(port: FakePort) -> dict[str, str]:
    return {
        "__meta_kubernetes_pod_container_port_name": port.name,
        "__meta_kubernetes_pod_container_port_number": str(port.number),
        "__meta_kubernetes_pod_container_port_protocol": "TCP",
    }


def pod_role_targets(pods: Sequence[FakePod]) -> list[dict[str, Any]]:
    """What ``role: pod`` discovers: one target per declared container port."""
    return [{"targets": [port.address], "labels": {**_pod_meta(pod), **_port_meta(port)}}
            for pod in pods for port in pod.ports]


def endpoints_role_targets(services: Sequence[FakeService]) -> list[dict[str, Any]]:
    """What ``role: endpoints`` discovers: one target per ready pod address and Service port."""
    groups = []
    for service in services:
        service_meta = {"__meta_kubernetes_namespace": service.namespace,
                        "__meta_kubernetes_service_name": service.name,
                        "__meta_kubernetes_endpoints_name": service.name}
        for key, value in service.labels.items():
            service_meta[f"__meta_kubernetes_service_label_{meta_label(key)}"] = value
            service_meta[f"__meta_kubernetes_service_labelpresent_{meta_label(key)}"] = "true"
        for pod in service.pods:
            for port in pod.ports:
                if port.name != service.port_name:
                    continue
                groups.append({"targets": [port.address], "labels": {
                    **_pod_meta(pod), **_port_meta(port), **service_meta,
                    "__meta_kubernetes_endpoint_port_name": service.port_name,
                    "__meta_kubernetes_endpoint_port_protocol": "TCP",
                    "__meta_kubernetes_endpoint_ready": "true",
                    "__meta_kubernetes_endpoint_address_target_kind": "Pod",
                    "__meta_kubernetes_endpoint_address_target_name": pod.name,
                }})
    return groups


def write_discovery(directory: Path, pods: Sequence[FakePod],
                    services: Sequence[FakeService]) -> dict[KubernetesRole, Path]:
    """file_sd files standing in for each kubernetes_sd role."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        KubernetesRole.POD: (directory / "pods.json", pod_role_targets(pods)),
        KubernetesRole.ENDPOINTS: (directory / "endpoints.json", endpoints_role_targets(services)),
    }
    for path, groups in files.values():
        path.write_text(json.dumps(groups, indent=1))
    return {role: path for role, (path, _) in files.items()}


# --------------------------------------------------------------------------
# What the operator generates
# --------------------------------------------------------------------------

def _r(name: str, **kwargs: Any) -> RelabelConfig:
    return RelabelConfig(f"operator: {name}", **kwargs)


_KEEP = RelabelAction.KEEP
_TMP_JOB = _r("__tmp_prometheus_job_name", source_labels=("job",), target_label="__tmp_prometheus_job_name")
_DROP_FINISHED_PODS = _r("drop finished pods", action=RelabelAction.DROP,
                         source_labels=("__meta_kubernetes_pod_phase",), regex="(Failed|Succeeded)")


def _namespace_keep(namespaces: Sequence[str]) -> RelabelConfig:
    return _r("namespaces", action=_KEEP, source_labels=(META_NAMESPACE,), regex="|".join(namespaces))


def _selector_keeps(kind: str, match_labels: Mapping[str, str]) -> list[RelabelConfig]:
    return [_r(f"selector {key}", action=_KEEP,
               source_labels=(f"__meta_kubernetes_{kind}_label_{meta_label(key)}",
                              f"__meta_kubernetes_{kind}_labelpresent_{meta_label(key)}"),
               regex=f"({value});true")
            for key, value in sorted(match_labels.items())]


def _copy(source: str, target: str) -> RelabelConfig:
    return _r(target, source_labels=(source,), target_label=target)


def _prometheus(relabelings: Sequence[RelabelConfig]) -> list[dict[str, Any]]:
    return [r.to_prometheus() for r in relabelings]


def _file_sd(files: Mapping[KubernetesRole, Path], role: KubernetesRole) -> list[dict[str, Any]]:
    return [{"files": [str(files[role])], "refresh_interval": "1s"}]


def _service_monitor_jobs(sm: ServiceMonitor, files) -> list[dict[str, Any]]:
    jobs = []
    for i, ep in enumerate(sm.endpoints):
        operator = [
            _TMP_JOB,
            _namespace_keep(sm.namespaces),
            *_selector_keeps("service", sm.selector),
            _r("port", action=_KEEP, source_labels=("__meta_kubernetes_endpoint_port_name",), regex=ep.port),
            _r("node", source_labels=("__meta_kubernetes_endpoint_address_target_kind",
                                      "__meta_kubernetes_endpoint_address_target_name"),
               separator=";", regex="Node;(.*)", replacement="${1}", target_label="node"),
            _r("pod from address", source_labels=("__meta_kubernetes_endpoint_address_target_kind",
                                                  "__meta_kubernetes_endpoint_address_target_name"),
               separator=";", regex="Pod;(.*)", replacement="${1}", target_label="pod"),
            _copy("__meta_kubernetes_namespace", "namespace"),
            _copy("__meta_kubernetes_service_name", "service"),
            _copy("__meta_kubernetes_pod_name", "pod"),
            _copy("__meta_kubernetes_pod_container_name", "container"),
            _DROP_FINISHED_PODS,
            _r("job", source_labels=("__meta_kubernetes_service_name",), target_label="job", replacement="${1}"),
            _r("endpoint", target_label="endpoint", replacement=ep.port),
        ]
        jobs.append(_job(f"serviceMonitor/{sm.metadata.namespace}/{sm.name}/{i}", ep,
                         _file_sd(files, KubernetesRole.ENDPOINTS), operator))
    return jobs


def _pod_monitor_jobs(pm: PodMonitor, files) -> list[dict[str, Any]]:
    jobs = []
    for i, ep in enumerate(pm.endpoints):
        if ep.port is not None:
            port_keep = _r("port", action=_KEEP, source_labels=("__meta_kubernetes_pod_container_port_name",),
                           regex=ep.port)
        else:
            port_keep = _r("port number", action=_KEEP,
                           source_labels=("__meta_kubernetes_pod_container_port_number",), regex=str(ep.port_number))
        operator = [
            _TMP_JOB,
            _namespace_keep(pm.namespaces),
            _DROP_FINISHED_PODS,
            *_selector_keeps("pod", pm.selector),
            port_keep,
            _copy("__meta_kubernetes_namespace", "namespace"),
            _copy("__meta_kubernetes_pod_container_name", "container"),
            _copy("__meta_kubernetes_pod_name", "pod"),
            _r("job", target_label="job", replacement=f"{pm.metadata.namespace}/{pm.name}"),
            _r("endpoint", target_label="endpoint", replacement=ep.port or str(ep.port_number)),
        ]
        jobs.append(_job(f"podMonitor/{pm.metadata.namespace}/{pm.name}/{i}", ep,
                         _file_sd(files, KubernetesRole.POD), operator))
    return jobs


def _job(job_name: str, ep, sd: list[dict[str, Any]], operator: list[RelabelConfig]) -> dict[str, Any]:
    job: dict[str, Any] = {"job_name": job_name, "honor_labels": ep.honor_labels}
    if ep.honor_timestamps is not None:
        job["honor_timestamps"] = ep.honor_timestamps
    if ep.interval:
        job["scrape_interval"] = ep.interval
    if ep.path:
        job["metrics_path"] = ep.path
    job["file_sd_configs"] = sd
    job["relabel_configs"] = _prometheus([*operator, *ep.relabelings])
    if ep.metric_relabelings:
        job["metric_relabel_configs"] = _prometheus(ep.metric_relabelings)
    return job


def _probe_job(probe: Probe, resolve: Callable[[str], str]) -> dict[str, Any]:
    operator = [
        _TMP_JOB,
        _r("job", target_label="job", replacement=probe.job_name),
        _r("target param", source_labels=("__address__",), target_label="__param_target"),
        _r("instance", source_labels=("__param_target",), target_label="instance"),
        _r("prober", target_label="__address__", replacement=resolve(probe.prober_url)),
    ]
    job: dict[str, Any] = {
        "job_name": f"probe/{probe.metadata.namespace}/{probe.name}",
        "metrics_path": PROBE_PATH,
        "params": {"module": [probe.module]},
        "static_configs": [{"targets": [resolve(t) for t in probe.targets],
                            "labels": dict(probe.target_labels)}],
        "relabel_configs": _prometheus(operator),
    }
    if probe.interval:
        job["scrape_interval"] = probe.interval
    if probe.metric_relabelings:
        job["metric_relabel_configs"] = _prometheus(probe.metric_relabelings)
    return job


def _scrape_config_job(sc: ScrapeConfig, files, resolve: Callable[[str], str]) -> dict[str, Any]:
    operator = [_TMP_JOB, _r("job", target_label="job", replacement=sc.job_name)]
    job: dict[str, Any] = {"job_name": f"scrapeConfig/{sc.metadata.namespace}/{sc.name}"}
    for key, value in (("honor_labels", sc.honor_labels), ("honor_timestamps", sc.honor_timestamps),
                       ("scrape_interval", sc.scrape_interval), ("metrics_path", sc.metrics_path)):
        if value is not None:
            job[key] = value
    if sc.params:
        job["params"] = {k: list(v) for k, v in sc.params.items()}
    for sd in sc.kubernetes_sd_configs:
        if sd.namespaces:
            operator.append(_namespace_keep(sd.namespaces))
        job.setdefault("file_sd_configs", []).extend(_file_sd(files, sd.role))
    if sc.static_configs:
        job["static_configs"] = [{"targets": [resolve(t) for t in s.targets], "labels": dict(s.labels)}
                                 for s in sc.static_configs]
    job["relabel_configs"] = _prometheus([*operator, *sc.relabelings])
    if sc.metric_relabelings:
        job["metric_relabel_configs"] = _prometheus(sc.metric_relabelings)
    return job


def scrape_configs(resources: Sequence[Any], files: Mapping[KubernetesRole, Path],
                   resolve: Callable[[str], str] = lambda address: address) -> list[dict[str, Any]]:
    """The scrape jobs the operator would generate for ``resources`` (other kinds are skipped).

    ``resolve`` maps an in-cluster ``host:port`` or URL (a Probe's prober and
    targets, static targets) to where the test's server listens: the DNS of
    the emulated cluster.
    """
    jobs: list[dict[str, Any]] = []
    for cr in resources:
        if isinstance(cr, ServiceMonitor):
            jobs += _service_monitor_jobs(cr, files)
        elif isinstance(cr, PodMonitor):
            jobs += _pod_monitor_jobs(cr, files)
        elif isinstance(cr, Probe):
            jobs.append(_probe_job(cr, resolve))
        elif isinstance(cr, ScrapeConfig):
            jobs.append(_scrape_config_job(cr, files, resolve))
    return jobs
