"""The role table: what each role does, and the CI matrix drawn from it and the stack files."""

import json
import subprocess
import sys

import pytest

from monitoring import conventions as c
from monitoring import roles
from monitoring.plan import build_plan
from monitoring.settings import Role, SettingsError, load_settings
from monitoring.stacks import PROJECT_ROOT, StackFileSources, ci_matrix, stack_names
from tests.conftest import ROOT

REGIONS = ["prod-eu-west-1", "prod-us-east-1", "prod-us-west-2"]


def _matrix(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "monitoring.stacks", "--matrix", *args],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_the_role_setting_accepts_exactly_the_roles_of_the_table():
    assert [r.value for r in Role] == ["dev", "regional", "global"] == [p.name for p in roles.PROFILES]
    assert load_settings("x", {"role": "global", "cluster": "g", "federationStacks": ["a"]}).profile.federates


def test_the_matrix_lists_the_stacks_deployed_from_ci_by_role():
    assert _matrix("--role", "regional") == {"include": [{"stack": s, "role": "regional"} for s in REGIONS]}
    assert _matrix("--role", "global") == {"include": [{"stack": "prod", "role": "global"}]}
    # dev clusters are brought up by hand, never from CI.
    assert _matrix("--role", "dev") == {"include": []}
    everything = _matrix()
    assert sorted(e["stack"] for e in everything["include"]) == sorted(["prod", *REGIONS])
    assert "dev" in stack_names()


def test_the_matrix_follows_the_table_not_role_names(tmp_path):
    for stack in ("dev", "prod-us-east-1"):
        (tmp_path / f"Pulumi.{stack}.yaml").write_text((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    assert [e["stack"] for e in ci_matrix(root=tmp_path)["include"]] == ["prod-us-east-1"]


def test_an_unknown_role_is_refused_by_the_matrix_cli():
    proc = subprocess.run([sys.executable, "-m", "monitoring.stacks", "--matrix", "--role", "staging"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice: 'staging'" in proc.stderr


@pytest.mark.parametrize("config, message", [
    ({"role": "dev", "federationStacks": ["prod-us-east-1"]},
     "federationStacks: only a global stack federates, this one is dev"),
    ({"role": "global", "cluster": "g"}, "federationStacks: a global stack needs regional stacks or targets, got []"),
    ({"role": "global", "federationStacks": ["a"]}, "cluster: required for a global stack, got ''"),
    ({"role": "regional", "cluster": "r"}, "region: required for a regional stack, got ''"),
])
def test_what_a_role_requires_is_checked_with_the_key_and_the_role(config, message):
    with pytest.raises(SettingsError) as err:
        load_settings("x", config)
    assert str(err.value) == message


def test_a_dev_stack_needs_neither_cluster_nor_region():
    dev = load_settings("laptop", {"role": "dev"})
    assert (dev.cluster, dev.region) == ("laptop", c.DEFAULT_REGION)


def test_only_federated_roles_may_be_listed_in_federation_stacks():
    glob = load_settings("prod", {"role": "global", "cluster": "g", "federationStacks": ["prod-us-east-1", "dev"]})
    with pytest.raises(SettingsError) as err:
        build_plan(glob, StackFileSources())
    assert str(err.value) == "federationStacks: dev is a dev stack; only regional stacks are federated"


def test_mesh_rule_groups_go_to_the_roles_that_run_the_mesh():
    def groups(config):
        plan = build_plan(load_settings("x", config))
        return {g.name for r in plan.prometheus_rules() for g in r.groups}

    mesh = {c.GROUP_MESH_RULES, c.GROUP_MESH_SLO, c.GROUP_MESH_HEALTH}
    assert groups({"role": "dev"}) >= mesh
    assert groups({"role": "regional", "cluster": "r", "region": "r"}) >= mesh
    glob = groups({"role": "global", "cluster": "g", "federationStacks": ["a"]})
    assert not glob & mesh and c.GROUP_FEDERATION in glob and c.GROUP_PROMETHEUS_HEALTH in glob
