"""The mcp_mesh.slo group, rendered for a regional stack, under promtool.

Cases (mcp_mesh_slo.test.yaml): normal, idle, errors with slow requests,
missing inputs, for both SLO indicators.
"""

from monitoring import conventions as c

TEST_FILE = "mcp_mesh_slo.test.yaml"


def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group, regional):
    out = prove_group(regional, c.GROUP_MESH_SLO, TEST_FILE)
    assert "SUCCESS" in out
