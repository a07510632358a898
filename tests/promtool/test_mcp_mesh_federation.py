"""The global stack's mcp_mesh.federation group, rendered for `prod`, under promtool.

Cases (mcp_mesh_federation.test.yaml): each alert quiet and firing, including
a region that is down (not stale) and a mesh target down in a region (not
this group's business).
"""

from monitoring import conventions as c
from monitoring.stacks import load_stack

TEST_FILE = "mcp_mesh_federation.test.yaml"


def test_the_rendered_group_passes_promtool_check_and_its_unit_tests(prove_group):
    out = prove_group(load_stack("prod"), c.GROUP_FEDERATION, TEST_FILE)
    assert "SUCCESS" in out
