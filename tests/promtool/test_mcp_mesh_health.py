"""The mcp_mesh.health group, rendered for a regional stack, under promtool.

Every alert (mcp_mesh_health.test.yaml) has a quiet case and a firing case
with its exact labels and annotations, runbook URL included.
"""

from monitoring import conventions as c

TEST_FILE = "mcp_mesh_health.test.yaml"


def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group, regional):
    out = prove_group(regional, c.GROUP_MESH_HEALTH, TEST_FILE)
    assert "SUCCESS" in out
