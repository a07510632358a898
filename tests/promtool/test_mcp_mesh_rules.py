"""The mcp_mesh.rules group, rendered for a regional stack, under promtool.

Cases (mcp_mesh_rules.test.yaml): normal traffic, idle agents, errors, a
degraded and a down registry, missing inputs; every recording rule's value is
computed by hand in the file's comments.
"""

from monitoring import conventions as c

TEST_FILE = "mcp_mesh_rules.test.yaml"


def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group, regional):
    out = prove_group(regional, c.GROUP_MESH_RULES, TEST_FILE)
    assert "SUCCESS" in out
