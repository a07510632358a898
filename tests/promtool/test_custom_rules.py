"""A stack's customRules become the mcp_mesh.custom group, proven by promtool."""

from monitoring import conventions as c
from monitoring.settings import load_settings
from monitoring.stacks import read_stack_config

from tests.promtool.conftest import REGIONAL_STACK

TEST_FILE = "custom_rules.test.yaml"
CUSTOM_RULES = [
    {"record": "mcp_mesh:requests:increase1h",
     "expr": "sum by (agent, namespace) (increase(mcp_mesh_requests_total[1h]))"},
    {"alert": "MeshAgentCrowded", "expr": "mcp_mesh:connections:sum > 100", "for": "5m",
     "labels": {"team": "mesh"},
     "annotations": {"summary": "Agent crowded",
                     "description": "{{ $labels.agent }} holds {{ $value }} connections."}},
]


def test_custom_rules_of_a_stack_pass_promtool_check_and_their_unit_tests(prove_group):
    plain, secrets = read_stack_config(REGIONAL_STACK)
    settings = load_settings(REGIONAL_STACK, {**plain, "customRules": CUSTOM_RULES}, secrets)
    out = prove_group(settings, c.GROUP_CUSTOM, TEST_FILE)
    assert "SUCCESS" in out
