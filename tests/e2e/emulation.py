"""Kubernetes discovery and prometheus-operator config generation, emulated.

Debian's Prometheus 2.42 is built without kubernetes_sd, and there is no API
server here. To run the monitors' relabelings in a real Prometheus anyway:

- :class:`FakePod` / :class:`FakeService` describe a cluster, and
  :func:`pod_role_targets` / :func:`endpoints_role_targets` turn it into the
  target groups kubernetes_sd would discover (the same ``__meta_kubernetes_*``
  labels), written as ``file_sd_configs`` files; each port's ``__address__``
  points at a local server instead of a pod IP;
- :func:`chart_pods` / :func:`chart_services` make that cluster from what
  Helm rendered (pod templates, Services), and :class:`PodNetwork`, an HTTP
  proxy Prometheus scrapes through, lets targets keep their pod addresses
  (``<pod ip>:<port>``, also after relabelings move them to another port);
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
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    # The target's address: where the test's server for this port listens
    # (host:port), or the pod's own ``ip:number`` when a :class:`PodNetwork`
    # carries the scrapes.
    address: str


@dataclass(frozen=True)
class FakePod:
    name: str
    namespace: str
    labels: Mapping[str, str]
    ports: tuple[FakePort, ...]
    annotations: Mapping[str, str] = field(default_factory=dict)
    container: str = "agent"
    phase: str = "Running"
    ip: str = "10.0.0.1"


@dataclass(frozen=True)
class FakeService:
    """A Service with one port, backed by the pods whose container port ``target_port`` names.

    ``target_port`` defaults to the Service port's own name.
    """

    name: str
    namespace: str
    labels: Mapping[str, str]
    port_name: str
    pods: tuple[FakePod, ...]
    target_port: str | None = None


def _pod_meta(pod: FakePod) -> dict[str, str]:
    labels = {
        "__meta_kubernetes_namespace": pod.namespace,
        "__meta_kubernetes_pod_name": pod.name,
        "__meta_kubernetes_pod_phase": pod.phase,
        "__meta_kubernetes_pod_ready": "true",
        "__meta_kubernetes_pod_ip": pod.ip,
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
                if port.name != (service.target_port or service.port_name):
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
# A cluster from objects Helm rendered
# --------------------------------------------------------------------------

# Kinds whose pod template becomes pods (one pod each here).
_WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet")


def _pod_name(workload: dict[str, Any]) -> str:
    name = workload["metadata"]["name"]
    # The names the controllers give: <statefulset>-0, <deployment>-<template hash>-<suffix>.
    return f"{name}-0" if workload["kind"] == "StatefulSet" else f"{name}-6d5f8b7c9-x2k4q"


def chart_pods(objects: Sequence[Mapping[str, Any]], namespace: str,
               ips: Sequence[str]) -> list[FakePod]:
    """The pods of the rendered workloads in ``objects``, one per workload.

    Labels, annotations, container name and container ports are the pod
    template's; the namespace is the template's own or, as at install, the
    release's; the pods get the addresses ``ips`` in turn, and each port's
    target is ``<pod ip>:<container port>``, what kubernetes_sd discovers (a
    :class:`PodNetwork` answers for it). A pod with more than one container
    declaring ports is refused rather than emulated half.
    """
    workloads = [o for o in objects if o["kind"] in _WORKLOADS]
    if len(ips) < len(workloads):
        raise ValueError(f"{len(workloads)} workloads, {len(ips)} pod addresses")
    pods = []
    for workload, ip in zip(workloads, ips):
        template = workload["spec"]["template"]
        with_ports = [c for c in template["spec"]["containers"] if c.get("ports")]
        if len(with_ports) > 1:
            raise NotImplementedError(f"{workload['metadata']['name']}: more than one container declares ports")
        container = (with_ports or template["spec"]["containers"])[0]
        ports = tuple(FakePort(p["name"], p["containerPort"], f"{ip}:{p['containerPort']}")
                      for p in container.get("ports", ()))
        meta = template["metadata"]
        pods.append(FakePod(_pod_name(workload), workload["metadata"].get("namespace") or namespace,
                            dict(meta.get("labels") or {}), ports, dict(meta.get("annotations") or {}),
                            container=container["name"], ip=ip))
    return pods


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def chart_services(objects: Sequence[Mapping[str, Any]], namespace: str,
                   pods: Sequence[FakePod]) -> list[FakeService]:
    """The rendered Services, one :class:`FakeService` per Service port, backed by the pods they select.

    A ``targetPort`` must name a container port (the upstream charts' do);
    a numeric one is refused rather than emulated.
    """
    services = []
    for obj in objects:
        if obj["kind"] != "Service":
            continue
        ns = obj["metadata"].get("namespace") or namespace
        selected = tuple(p for p in pods if p.namespace == ns and _selects(obj["spec"].get("selector", {}), p.labels))
        for port in obj["spec"]["ports"]:
            target = port.get("targetPort", port["name"])
            if not isinstance(target, str):
                raise NotImplementedError(f"Service {obj['metadata']['name']}: numeric targetPort {target}")
            services.append(FakeService(obj["metadata"]["name"], ns, dict(obj["metadata"].get("labels") or {}),
                                        port["name"], selected, target_port=target))
    return services


class PodNetwork:
    """The pod network, for Prometheus: an HTTP proxy (``proxy_url`` of a job) on loopback.

    Targets keep the addresses kubernetes_sd gives them (``<pod ip>:<port>``,
    or a port the relabelings chose); ``routes`` maps such an address to where
    the test's server really listens. An address with no route answers 502,
    as a scrape of a port nothing listens on fails.
    """

    def __init__(self, routes: Mapping[str, str]):
        self.routes = dict(routes)
        self.requests: list[str] = []
        network = self
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the http.server interface
                url = urllib.parse.urlsplit(self.path)
                network.requests.append(f"{url.netloc}{url.path}")
                local = network.routes.get(url.netloc)
                status, body, content_type = 502, b"no route to " + url.netloc.encode(), "text/plain"
                if local is not None:
                    path = url.path + (f"?{url.query}" if url.query else "")
                    request = urllib.request.Request(f"http://{local}{path}", headers={
                        k: v for k, v in self.headers.items() if k.lower() in ("accept", "user-agent")})
                    try:
                        with direct.open(request, timeout=5) as answer:
                            status, body = answer.status, answer.read()
                            content_type = answer.headers.get("Content-Type", content_type)
                    except urllib.error.HTTPError as err:
                        status, body = err.code, err.read()
                        content_type = err.headers.get("Content-Type", content_type)
                    except OSError:
                        pass
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="pod-network", daemon=True)
        self._thread.start()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def carry(self, jobs: Sequence[dict[str, Any]]) -> None:
        """Send the scrapes of every discovered (file_sd) job through this network."""
        for job in jobs:
            if "file_sd_configs" in job:
                job["proxy_url"] = self.proxy_url

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


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
