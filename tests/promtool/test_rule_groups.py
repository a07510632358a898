"""Each rule group, rendered for a stack that deploys it, under promtool.

One case per group: the group is rendered through the real path (stack file
-> settings -> build_plan -> render_files), checked with ``promtool check
rules`` and tested with ``promtool test rules`` against the unit-test file
kept beside this module. Every recording rule has a normal, an idle, an errors
and a missing-input case, and every alert a quiet case and a firing case with
its exact labels and annotations, runbook URL included (assert_cases_cover).
"""

import pytest

from monitoring import conventions as c
from monitoring.settings import load_settings
from monitoring.stacks import plan_stack, read_stack_config, stack_names
from tests.promtool.conftest import REGIONAL_STACK

# A stack's customRules: one recording rule and one alert.
CUSTOM_RULES = [
    {"record": "mcp_mesh:requests:increase1h",
     "expr": "sum by (agent, namespace) (increase(mcp_mesh_requests_total[1h]))"},
    {"alert": "MeshAgentCrowded", "expr": "mcp_mesh:connections:sum > 100", "for": "5m",
     "labels": {"team": "mesh"},
     "annotations": {"summary": "Agent crowded",
                     "description": "{{ $labels.agent }} holds {{ $value }} connections."}},
]

# (group, stack whose file it is rendered for, settings added to that file,
#  unit-test file, groups whose records the group reads: loaded before it, as
#  in the stack's server)
CASES = [
    # Normal traffic, idle agents, errors, a degraded and a down registry,
    # missing inputs; every value computed by hand in the file's comments.
    (c.GROUP_MESH_RULES, REGIONAL_STACK, {}, "mcp_mesh_rules.test.yaml", ()),
    # Normal, idle, errors with slow requests, missing inputs, for both SLO
    # indicators; derived from the ratios mcp_mesh.rules records, so the
    # inputs are raw series and the values prove the whole chain.
    (c.GROUP_MESH_SLO, REGIONAL_STACK, {}, "mcp_mesh_slo.test.yaml", (c.GROUP_MESH_RULES,)),
    # The SLOs of the `slos` setting (its defaults): hand-computed burn rates
    # of a 99.9% and a 99% objective just above and just below each page and
    # ticket threshold, `for` boundaries, idle agents, a burn that stopped.
    (c.GROUP_MESH_SLO_RATIOS, REGIONAL_STACK, {}, "mcp_mesh_slo_ratios.test.yaml", (c.GROUP_MESH_RULES,)),
    (c.GROUP_MESH_SLO_WINDOWS, REGIONAL_STACK, {}, "mcp_mesh_slo_windows.test.yaml",
     (c.GROUP_MESH_RULES, c.GROUP_MESH_SLO_RATIOS)),
    # Symptom alerts: quiet on an idle mesh, firing on the symptom.
    (c.GROUP_MESH_SYMPTOMS, REGIONAL_STACK, {}, "mcp_mesh_symptoms.test.yaml", (c.GROUP_MESH_RULES,)),
    (c.GROUP_MESH_HEALTH, REGIONAL_STACK, {}, "mcp_mesh_health.test.yaml", ()),
    (c.GROUP_PROMETHEUS_HEALTH, REGIONAL_STACK, {}, "prometheus_health.test.yaml", ()),
    # A claim left at its old size or class after a settings change; other claims ignored.
    (c.GROUP_VOLUMES, REGIONAL_STACK, {}, "monitoring_volumes.test.yaml", ()),
    # The global stack's alerts, including a region that is down (not stale)
    # and a mesh target down in a region (not this group's business).
    (c.GROUP_FEDERATION, "prod", {}, "mcp_mesh_federation.test.yaml", ()),
    # A stack's customRules become the mcp_mesh.custom group.
    (c.GROUP_CUSTOM, REGIONAL_STACK, {"customRules": CUSTOM_RULES}, "custom_rules.test.yaml", ()),
]


@pytest.mark.parametrize("group, stack, extra, test_file, reads", CASES, ids=[case[0] for case in CASES])
def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group, group, stack, extra, test_file,
                                                                     reads):
    plain, secrets = read_stack_config(stack)
    out = prove_group(load_settings(stack, {**plain, **extra}, secrets), group, test_file, reads=reads)
    assert "SUCCESS" in out


def test_every_group_a_stack_deploys_has_a_case():
    deployed = {g.name for stack in stack_names() for r in plan_stack(stack).prometheus_rules() for g in r.groups}
    assert deployed <= {case[0] for case in CASES}
