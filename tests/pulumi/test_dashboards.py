"""Dashboard ConfigMaps, as the program registers them, are what the chart's Grafana sidecar imports.

The sidecar's label, label value, namespace and folder annotation are read
from the Grafana Deployment that Helm renders from the registered release's
values (not from the program's own constants), and the dashboard provider
from the ConfigMap the chart renders for it.
"""

from __future__ import annotations

import json

import yaml

from monitoring import conventions as c
from monitoring.stacks import load_stack
from tests.charts.helm import chart_archive, render_chart
from tests.pulumi.test_selection import run  # noqa: F401 - the program run once per stack file

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SIDECAR_CONTAINER = "grafana-sc-dashboard"


def _rendered_grafana(run) -> tuple[dict[str, str], dict]:
    """The dashboard sidecar's environment and the dashboard provider, as Helm renders them."""
    release = next(r.inputs for r in run.by_type("kubernetes:helm.sh/v3:Release")
                   if r.inputs["chart"] == c.KUBE_PROMETHEUS_STACK_CHART)
    objects = render_chart(chart_archive(release["chart"], release["version"]), release["name"],
                           release["namespace"], release["values"])
    [deployment] = [o for o in objects if o["kind"] == "Deployment"
                    and o["metadata"]["labels"].get("app.kubernetes.io/name") == "grafana"]
    containers = deployment["spec"]["template"]["spec"]["containers"]
    [sidecar] = [ctr for ctr in containers if ctr["name"] == SIDECAR_CONTAINER]
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    [provider_map] = [o for o in objects if o["kind"] == "ConfigMap" and "provider.yaml" in o.get("data", {})]
    [provider] = yaml.safe_load(provider_map["data"]["provider.yaml"])["providers"]
    return env, provider


def test_dashboard_config_maps_are_where_the_rendered_sidecar_looks_with_its_label(run):
    env, _ = _rendered_grafana(run)
    maps = run.by_type(CONFIG_MAP)
    assert maps, "no dashboard ConfigMap registered"
    namespace = run.one("kubernetes:core/v1:Namespace")
    for registered in maps:
        meta = registered.inputs["metadata"]
        assert meta["labels"].get(env["LABEL"]) == env["LABEL_VALUE"], meta
        watched = env["NAMESPACE"]
        assert watched == "ALL" or meta["namespace"] in watched.split(","), (meta["namespace"], watched)
        assert env["FOLDER_ANNOTATION"] in meta["annotations"], meta
        assert namespace.urn in registered.dependencies
        [(file_name, text)] = registered.inputs["data"].items()
        assert file_name == f"{json.loads(text)['uid']}.json"


def test_the_rendered_provider_imports_classic_json_read_only_into_folders(run):
    env, provider = _rendered_grafana(run)
    # A file provider reads the dashboards' own JSON from the sidecar's folder...
    assert provider["type"] == "file"
    assert provider["options"]["path"] == env["FOLDER"]
    # ...into the folder each ConfigMap's annotation names, refusing edits in the UI.
    assert provider["options"]["foldersFromFilesStructure"] is True
    assert provider["allowUiUpdates"] is False
    for registered in run.by_type(CONFIG_MAP):
        board = json.loads(next(iter(registered.inputs["data"].values())))
        # Classic dashboard JSON (what the SDK for Grafana 11.6 emits), not a v2 resource.
        assert {"apiVersion", "kind", "spec"}.isdisjoint(board)
        assert isinstance(board["schemaVersion"], int) and board["panels"]
        assert board["editable"] is False


def test_the_global_dashboard_goes_to_the_global_stack_only(run):
    uids = {json.loads(next(iter(r.inputs["data"].values())))["uid"] for r in run.by_type(CONFIG_MAP)}
    is_prod = run.outputs["cluster"] == load_stack("prod").cluster
    assert (c.DASHBOARD_GLOBAL in uids) == is_prod
    assert c.DASHBOARD_PIPELINE in uids
    assert (c.DASHBOARD_MESH_OVERVIEW in uids) == (not is_prod)
