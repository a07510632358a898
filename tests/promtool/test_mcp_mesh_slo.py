"""The mcp_mesh.slo group, rendered for a regional stack, under promtool.

Cases (mcp_mesh_slo.test.yaml): normal, idle, errors with slow requests,
missing inputs, for both SLO indicators. The group derives them from the
ratios mcp_mesh.rules records, so that group is loaded with it, as in a
regional server; the inputs are raw series, so the values prove the whole
chain.
"""

from monitoring import conventions as c

TEST_FILE = "mcp_mesh_slo.test.yaml"


def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group, regional):
    out = prove_group(regional, c.GROUP_MESH_SLO, TEST_FILE, reads=(c.GROUP_MESH_RULES,))
    assert "SUCCESS" in out
