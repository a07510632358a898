"""Grafana as the chart renders it: a volume that binds on clusters without a
default StorageClass, survives upgrades, uninstalls and destroys, and an admin
password that follows the Secret."""

from __future__ import annotations

import subprocess

import pytest

from monitoring import conventions as c
from tests.charts.conftest import RenderedStack

RELEASE = "kube-prometheus-stack"


def _grafana(stack: RenderedStack) -> tuple[dict, dict]:
    """Grafana's Deployment and volume claim."""
    [deployment] = [o for o in stack.of_kind("Deployment", RELEASE) if o["metadata"]["name"].endswith("-grafana")]
    [claim] = [o for o in stack.of_kind("PersistentVolumeClaim", RELEASE)
               if o["metadata"]["name"].endswith("-grafana")]
    return deployment, claim


def test_grafanas_claim_names_a_storage_class_wherever_prometheus_does(stack):
    _, claim = _grafana(stack)
    storage = stack.plan.settings.storage
    # EKS 1.30 and later have no default StorageClass: an unnamed claim stays Pending.
    assert claim["spec"].get("storageClassName", "") == storage.class_name
    if stack.plan.settings.cluster_flavour.value == "eks":
        assert claim["spec"]["storageClassName"]
    classes = {o["metadata"]["name"] for o in stack.of_kind("StorageClass")}
    assert not storage.create_class or claim["spec"]["storageClassName"] in classes


def test_grafanas_own_storage_class_setting_wins():
    from monitoring.plan import build_plan
    from monitoring.settings import load_settings
    from monitoring.stacks import read_stack_config
    from tests.charts.conftest import render_stack

    plain, _ = read_stack_config("prod-us-east-1")
    settings = load_settings("prod-us-east-1", {**plain, "grafanaStorageClassName": "gp3-grafana"})
    _, claim = _grafana(render_stack("grafana-class", build_plan(settings)))
    assert claim["spec"]["storageClassName"] == "gp3-grafana"


def test_grafana_is_recreated_not_rolled_while_its_volume_attaches_to_one_node(stack):
    deployment, claim = _grafana(stack)
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    # A rolling update's new pod on another node would wait on Multi-Attach until the release times out.
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_grafanas_claim_is_kept_when_the_release_goes(stack):
    _, claim = _grafana(stack)
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_admin_password_reset_runs_grafanas_image_on_grafanas_volumes(stack):
    deployment, _ = _grafana(stack)
    pod = deployment["spec"]["template"]["spec"]
    [grafana] = [ctr for ctr in pod["containers"] if ctr["name"] == "grafana"]
    [reset] = [ctr for ctr in pod.get("initContainers", []) if ctr["name"] == "reset-admin-password"]
    # The chart's Grafana and the pinned image stay one version (a chart bump must move both).
    assert reset["image"] == grafana["image"] == c.GRAFANA_IMAGE
    mounts = {m["name"]: (m["mountPath"], m.get("subPath")) for m in grafana["volumeMounts"]}
    for mount in reset["volumeMounts"]:
        assert mounts[mount["name"]] == (mount["mountPath"], mount.get("subPath")), mount
    # It reads the password Grafana itself reads.
    [password] = [e for e in grafana["env"] if e["name"] == "GF_SECURITY_ADMIN_PASSWORD"]
    assert reset["env"] == [password]
    # Restricted Pod Security: the pod runs as Grafana's non-root user; the container drops everything.
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert reset["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_the_admin_password_reset_script_passes_shellcheck(stack):
    deployment, _ = _grafana(stack)
    [reset] = [ctr for ctr in deployment["spec"]["template"]["spec"]["initContainers"]
               if ctr["name"] == "reset-admin-password"]
    assert reset["command"][:2] == ["/bin/sh", "-c"]
    result = subprocess.run(["shellcheck", "--shell=sh", "-"], input=reset["command"][2],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", ["dev", "prod-us-east-1"])
def test_dev_uses_the_clusters_default_class_and_prod_the_created_one(name):
    from monitoring.stacks import plan_stack
    from tests.charts.conftest import render_stack

    _, claim = _grafana(render_stack(name, plan_stack(name)))
    assert claim["spec"].get("storageClassName") == (None if name == "dev" else "fast-ssd")
