"""The mesh's monitors, probe and scrape configs, built from stack settings."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from mcp_mesh_metrics import names
from monitoring import conventions as c
from monitoring import scrape
from monitoring.plan import build_plan
from monitoring.render import to_yaml
from monitoring.resources import InvalidResource, Metadata, RelabelAction, RelabelConfig
from monitoring.settings import SettingsError, load_settings

REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}


def settings(**overrides):
    return load_settings("test", {**REGIONAL, **overrides})


def kinds_and_names(resources):
    return [(cr.kind, cr.name) for cr in resources]


# The agents' identity relabelings, as the CRDs spell them (camelCase).
IDENTITY = [
    {"sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_instance"], "targetLabel": "agent",
     "action": "replace"},
    {"sourceLabels": ["__meta_kubernetes_namespace"], "targetLabel": "namespace", "action": "replace"},
    {"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "pod", "action": "replace"},
]
DROP_GO_MEMSTATS = [{"sourceLabels": ["__name__"], "regex": "go_memstats_.*", "action": "drop"}]
# A series' own `agent` (the mesh name) wins over the target's fallback.
OWN_AGENT_LABEL = [
    {"sourceLabels": ["exported_agent"], "targetLabel": "agent", "regex": "(.+)", "action": "replace"},
    {"regex": "exported_agent", "action": "labeldrop"},
]
# pod annotations prometheus.io/scrape, path and port (default 9464) -> where the library is scraped
ANNOTATED = [
    {"sourceLabels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "regex": "true", "action": "keep"},
    {"sourceLabels": ["__meta_kubernetes_pod_annotation_prometheus_io_path"], "targetLabel": "__metrics_path__",
     "regex": "(.+)", "action": "replace"},
]
ADDRESS_REGEX = r"(\[.+\]|[^:]+)(?::\d+)?;(\d+)"
CR_METADATA = {"namespace": "monitoring", "labels": {**c.COMMON_LABELS, "release": "prometheus"}}


def test_defaults_follow_upstream_mcp_mesh():
    mesh = settings().mesh
    assert mesh.namespace == "mcp-mesh"
    assert mesh.agent_selector == {"app.kubernetes.io/name": "mcp-mesh-agent", "app.kubernetes.io/component": "agent"}
    assert mesh.agent_name_label == "app.kubernetes.io/instance"
    assert mesh.registry_selector == {"app.kubernetes.io/name": "mcp-mesh-registry",
                                      "app.kubernetes.io/component": "registry"}
    assert (mesh.registry_serves_metrics, mesh.blackbox_exporter, mesh.kubernetes_sd_jobs) == (False, True, False)
    assert settings().charts.blackbox_exporter == "11.17.2"


def test_a_default_stack_scrapes_the_agents_twice_and_probes_the_registry():
    assert kinds_and_names(scrape.mesh_scrape_resources(settings())) == [
        ("ServiceMonitor", c.JOB_AGENTS), ("PodMonitor", c.JOB_AGENT_METRICS), ("Probe", c.JOB_REGISTRY_PROBE)]


def test_agents_service_monitor_scrapes_the_http_port_as_the_agents_job():
    assert scrape.agents_monitor(settings()).to_manifest() == {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "mcp-mesh-agents", **CR_METADATA},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/component": "agent",
                                         "app.kubernetes.io/name": "mcp-mesh-agent"}},
            "namespaceSelector": {"matchNames": ["mcp-mesh"]},
            "endpoints": [{
                "port": "http",
                "path": "/metrics",
                "honorLabels": False,
                "honorTimestamps": True,
                "relabelings": [{"targetLabel": "job", "replacement": "mcp-mesh-agents", "action": "replace"},
                                *IDENTITY],
                "metricRelabelings": [*DROP_GO_MEMSTATS, *OWN_AGENT_LABEL],
            }],
        },
    }


def test_agent_metrics_pod_monitor_scrapes_the_annotated_library_port_of_pods_found_on_http():
    manifest = scrape.agent_metrics_monitor(settings()).to_manifest()
    assert (manifest["kind"], manifest["metadata"]["name"]) == ("PodMonitor", "mcp-mesh-agent-metrics")
    assert manifest["spec"]["selector"] == {"matchLabels": dict(sorted(c.MESH_AGENT_SELECTOR.items()))}
    assert manifest["spec"]["podMetricsEndpoints"] == [{
        "port": "http",
        "path": names.METRICS_PATH,
        "honorLabels": False,
        "honorTimestamps": True,
        "relabelings": [
            {"targetLabel": "job", "replacement": "mcp-mesh-agent-metrics", "action": "replace"},
            *ANNOTATED,
            {"targetLabel": "__tmp_mesh_metrics_port", "replacement": "9464", "action": "replace"},
            {"sourceLabels": ["__meta_kubernetes_pod_annotation_prometheus_io_port"],
             "targetLabel": "__tmp_mesh_metrics_port", "regex": r"(\d+)", "action": "replace"},
            {"sourceLabels": ["__address__", "__tmp_mesh_metrics_port"], "targetLabel": "__address__",
             "regex": ADDRESS_REGEX, "replacement": "$1:$2", "action": "replace"},
            *IDENTITY],
        "metricRelabelings": [*DROP_GO_MEMSTATS, *OWN_AGENT_LABEL],
    }]


def test_registry_probe_asks_the_blackbox_exporter_for_the_health_endpoint():
    assert scrape.registry_probe(settings()).to_manifest() == {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Probe",
        "metadata": {"name": "mcp-mesh-registry-probe", **CR_METADATA},
        "spec": {
            "jobName": "mcp-mesh-registry-probe",
            "prober": {"url": "prometheus-blackbox-exporter.monitoring.svc:9115"},
            "module": "http_2xx",
            "targets": {"staticConfig": {
                "static": ["http://mcp-core-mcp-mesh-registry.mcp-mesh.svc:8000/health"],
                "labels": {"namespace": "mcp-mesh", "service": "mcp-core-mcp-mesh-registry"},
            }},
        },
    }


def test_every_job_label_is_a_conventions_job_name():
    s = settings(registryServesMetrics=True, kubernetesSdJobs=True)
    jobs = {}
    for cr in scrape.mesh_scrape_resources(s):
        if cr.kind in ("Probe", "ScrapeConfig"):
            jobs[cr.name] = cr.job_name
            continue
        [job] = [r.replacement for ep in cr.endpoints for r in ep.relabelings if r.target_label == "job"]
        jobs[cr.name] = job
    assert jobs == {name: name for name in (c.JOB_AGENTS, c.JOB_AGENT_METRICS, c.JOB_REGISTRY, c.JOB_REGISTRY_PROBE,
                                            c.JOB_REGISTRY_ENDPOINTS, c.JOB_ANNOTATED_PODS)}
    assert all(job.startswith(c.JOB_PREFIX) for job in jobs.values())


def test_every_resource_is_selected_by_the_stacks_prometheus():
    s = settings(namespace="observability", releaseName="kps", registryServesMetrics=True, kubernetesSdJobs=True)
    for cr in scrape.mesh_scrape_resources(s):
        assert cr.metadata.namespace == "observability"
        assert cr.to_manifest()["metadata"]["labels"]["release"] == "kps"
    probe = scrape.registry_probe(s)
    assert probe.prober_url == "prometheus-blackbox-exporter.observability.svc:9115"


def test_registry_service_monitor_exists_only_when_the_registry_serves_metrics():
    assert ("ServiceMonitor", c.JOB_REGISTRY) not in kinds_and_names(scrape.mesh_scrape_resources(settings()))
    resources = scrape.mesh_scrape_resources(settings(registryServesMetrics=True))
    [monitor] = [cr for cr in resources if cr.name == c.JOB_REGISTRY]
    spec = monitor.to_manifest()["spec"]
    assert spec["selector"] == {"matchLabels": dict(sorted(c.MESH_REGISTRY_SELECTOR.items()))}
    assert spec["endpoints"][0]["relabelings"] == [
        {"targetLabel": "job", "replacement": "mcp-mesh-registry", "action": "replace"},
        # the chart's headless Service carries the same labels and port
        {"sourceLabels": ["__meta_kubernetes_service_name"], "regex": "mcp-core-mcp-mesh-registry", "action": "keep"},
        *IDENTITY[1:]]


def test_blackbox_exporter_off_means_no_probe_and_no_release():
    off = build_plan(settings(blackboxExporterEnabled=False))
    assert off.addon_releases == ()
    assert "Probe" not in {cr.kind for cr in off.custom_resources}
    [release] = build_plan(settings()).addon_releases
    assert (release.name, release.chart, release.version, release.namespace, release.repository) == (
        "prometheus-blackbox-exporter", "prometheus-blackbox-exporter", "11.17.2", "monitoring", c.CHART_REPOSITORY)
    assert scrape.registry_probe(settings()).module in release.values["config"]["modules"]


def test_selectors_namespace_and_agent_label_are_overridable_per_stack():
    s = settings(meshNamespace="agents", agentSelector={"team": "mesh"}, agentNameLabel="app.kubernetes.io/name",
                 registrySelector={"app": "registry"}, registryServiceName="registry",
                 registryServesMetrics=True, kubernetesSdJobs=True)
    by_name = {cr.name: cr.to_manifest()["spec"] for cr in scrape.mesh_scrape_resources(s)}
    for name in (c.JOB_AGENTS, c.JOB_AGENT_METRICS):
        assert by_name[name]["selector"] == {"matchLabels": {"team": "mesh"}}
        assert by_name[name]["namespaceSelector"] == {"matchNames": ["agents"]}
    endpoint = by_name[c.JOB_AGENTS]["endpoints"][0]
    assert endpoint["relabelings"][1]["sourceLabels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    assert by_name[c.JOB_REGISTRY]["selector"] == {"matchLabels": {"app": "registry"}}
    assert by_name[c.JOB_REGISTRY_PROBE]["targets"]["staticConfig"]["static"] == [
        "http://registry.agents.svc:8000/health"]
    for name in (c.JOB_REGISTRY_ENDPOINTS, c.JOB_ANNOTATED_PODS):
        assert by_name[name]["kubernetesSDConfigs"][0]["namespaces"] == {"names": ["agents"]}


@pytest.mark.parametrize("overrides, message", [
    ({"agentSelector": {}}, "agentSelector: expected at least one label, got {}"),
    ({"agentSelector": {"app.kubernetes.io/name": "bad value!"}},
     "agentSelector.app.kubernetes.io/name: expected a Kubernetes label value, got 'bad value!'"),
    ({"registrySelector": {"-bad": "x"}},
     "registrySelector.-bad: expected a Kubernetes label key like app.kubernetes.io/name, got '-bad'"),
    ({"agentNameLabel": "app kubernetes"},
     "agentNameLabel: expected a Kubernetes label key like app.kubernetes.io/name, got 'app kubernetes'"),
    ({"meshNamespace": "Mesh"}, "meshNamespace: expected a DNS label"),
    ({"blackboxExporterVersion": "latest"}, "blackboxExporterVersion: expected a chart version like 1.2.3"),
    ({"dropMetrics": ["go_(memstats"]}, "dropMetrics: invalid regular expression 'go_(memstats'"),
])
def test_bad_mesh_settings_fail_with_the_key(overrides, message):
    with pytest.raises(SettingsError) as err:
        settings(**overrides)
    assert str(err.value).startswith(message)


def test_an_invalid_drop_regex_fails_naming_the_relabeling():
    # Settings reject it first; the builders reject it too, whoever builds them.
    s = settings(dropMetrics=["go_memstats_.*", "process_.*"])
    broken = dataclasses.replace(s, prometheus=dataclasses.replace(s.prometheus,
                                                                   drop_metrics=("go_memstats_.*", "process_(")))
    with pytest.raises(InvalidResource) as err:
        scrape.mesh_scrape_resources(broken)
    assert str(err.value).startswith("relabeling 'dropMetrics[1]': invalid regex 'process_('")


def test_each_drop_metrics_entry_becomes_one_drop_relabeling():
    s = settings(dropMetrics=["go_memstats_.*", "go_.*|process_.*"])
    assert [r.to_manifest() for r in scrape.drop_metrics(s)] == [
        {"sourceLabels": ["__name__"], "regex": "go_memstats_.*", "action": "drop"},
        {"sourceLabels": ["__name__"], "regex": "go_.*|process_.*", "action": "drop"},
    ]
    assert scrape.drop_metrics(settings(dropMetrics=[])) == ()


def test_the_guides_junk_metric_relabelings_are_gone():
    s = settings(registryServesMetrics=True, kubernetesSdJobs=True)
    text = "".join(to_yaml(cr.to_manifest()) for cr in scrape.mesh_scrape_resources(s))
    assert "trace_id" not in text and "__tmp_prometheus_job_name" not in text
    assert "agent_name" not in text and "__meta_kubernetes_pod_namespace" not in text


def test_kubernetes_sd_jobs_are_the_guides_two_jobs_behind_a_setting():
    assert not any(cr.kind == "ScrapeConfig" for cr in scrape.mesh_scrape_resources(settings()))
    on = [cr for cr in scrape.mesh_scrape_resources(settings(kubernetesSdJobs=True)) if cr.kind == "ScrapeConfig"]
    registry, pods = (cr.to_manifest() for cr in on)
    assert registry["apiVersion"] == "monitoring.coreos.com/v1alpha1"
    assert registry["spec"] == {
        "jobName": "mcp-mesh-registry-endpoints",
        "kubernetesSDConfigs": [{"role": "Endpoints", "namespaces": {"names": ["mcp-mesh"]}}],
        "scrapeInterval": "15s",
        "relabelings": [
            {"sourceLabels": ["__meta_kubernetes_service_name"], "regex": "mcp-core-mcp-mesh-registry",
             "action": "keep"},
            {"sourceLabels": ["__meta_kubernetes_namespace"], "targetLabel": "namespace", "action": "replace"},
            {"sourceLabels": ["__meta_kubernetes_service_name"], "targetLabel": "service", "action": "replace"},
        ],
        "metricRelabelings": DROP_GO_MEMSTATS,
    }
    assert pods["spec"]["jobName"] == "mcp-mesh-annotated-pods"
    assert pods["spec"]["kubernetesSDConfigs"] == [{"role": "Pod", "namespaces": {"names": ["mcp-mesh"]}}]
    assert pods["spec"]["relabelings"] == [
        # agents and the registry carry the same annotations and have jobs of their own
        {"sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_component",
                          "__meta_kubernetes_pod_label_app_kubernetes_io_name"],
         "regex": "agent;mcp-mesh-agent", "action": "drop"},
        {"sourceLabels": ["__meta_kubernetes_pod_label_app_kubernetes_io_component",
                          "__meta_kubernetes_pod_label_app_kubernetes_io_name"],
         "regex": "registry;mcp-mesh-registry", "action": "drop"},
        *ANNOTATED,
        {"sourceLabels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
         "targetLabel": "__address__", "regex": ADDRESS_REGEX, "replacement": "$1:$2", "action": "replace"},
        *IDENTITY,
    ]
    assert pods["spec"]["metricRelabelings"] == [*DROP_GO_MEMSTATS, *OWN_AGENT_LABEL]


def test_the_annotation_regex_stays_a_string_in_yaml():
    manifest = scrape.annotated_pods_scrape_config(settings()).to_manifest()
    reread = yaml.safe_load(to_yaml(manifest))
    assert reread["spec"]["relabelings"][2]["regex"] == "true"


def test_plan_holds_the_scrape_resources_once_each():
    plan = build_plan(settings(registryServesMetrics=True, kubernetesSdJobs=True))
    ours = [cr for cr in plan.custom_resources if cr.kind in ("ServiceMonitor", "PodMonitor", "Probe", "ScrapeConfig")]
    assert kinds_and_names(ours) == [
        ("ServiceMonitor", c.JOB_AGENTS), ("PodMonitor", c.JOB_AGENT_METRICS), ("ServiceMonitor", c.JOB_REGISTRY),
        ("Probe", c.JOB_REGISTRY_PROBE), ("ScrapeConfig", c.JOB_REGISTRY_ENDPOINTS),
        ("ScrapeConfig", c.JOB_ANNOTATED_PODS)]
    keys = [(cr.kind, cr.name) for cr in plan.custom_resources]
    assert len(keys) == len(set(keys)), "Pulumi resource names are derived from kind and name"


@pytest.mark.parametrize("label_key, meta", [
    ("app.kubernetes.io/instance", "__meta_kubernetes_pod_label_app_kubernetes_io_instance"),
    ("agent_name", "__meta_kubernetes_pod_label_agent_name"),
    ("example.com/team-name", "__meta_kubernetes_pod_label_example_com_team_name"),
])
def test_pod_labels_are_spelt_as_kubernetes_sd_spells_them(label_key, meta):
    assert scrape.pod_label(label_key) == meta


def test_a_pod_metrics_endpoint_names_exactly_one_port():
    with pytest.raises(InvalidResource, match="exactly one of port and port_number"):
        scrape.PodMetricsEndpoint()
    with pytest.raises(InvalidResource, match="exactly one of port and port_number"):
        scrape.PodMetricsEndpoint(port="http", port_number=8080)
    with pytest.raises(InvalidResource, match="out of range"):
        scrape.PodMetricsEndpoint(port_number=70000)
    assert scrape.PodMetricsEndpoint(port="http").to_manifest() == {"port": "http", "honorLabels": False}


def test_monitors_and_scrape_configs_refuse_to_be_empty():
    meta = Metadata("x", "monitoring")
    with pytest.raises(InvalidResource, match="ServiceMonitor 'x': needs at least one endpoint"):
        scrape.ServiceMonitor(meta, {"a": "b"}, ("mesh",), ())
    with pytest.raises(InvalidResource, match="PodMonitor 'x': needs at least one selector label"):
        scrape.PodMonitor(meta, {}, ("mesh",), (scrape.PodMetricsEndpoint(port="http"),))
    with pytest.raises(InvalidResource, match="ScrapeConfig 'x': needs at least one static or kubernetes_sd"):
        scrape.ScrapeConfig(meta, job_name="x")


def test_a_static_scrape_config_has_the_fields_federation_needs():
    job = scrape.ScrapeConfig(
        Metadata("federate", "monitoring"), job_name="federate", metrics_path="/federate", honor_labels=True,
        params={"match[]": ('{__name__=~"mcp_mesh:.*"}',)},
        static_configs=(scrape.StaticConfig(("prometheus.eu:9090",), {"region": "eu"}),),
        relabelings=(RelabelConfig("drop replica", action=RelabelAction.LABELDROP, regex="prometheus_replica"),))
    assert job.spec() == {
        "jobName": "federate",
        "staticConfigs": [{"targets": ["prometheus.eu:9090"], "labels": {"region": "eu"}}],
        "metricsPath": "/federate",
        "params": {"match[]": ['{__name__=~"mcp_mesh:.*"}']},
        "honorLabels": True,
        "relabelings": [{"regex": "prometheus_replica", "action": "labeldrop"}],
    }
