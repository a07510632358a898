"""The rate tables over windows longer than 5m, built from the 5m tables, under promtool.

The burn-rate windows of SLO alerting (30m to 3d) are meant to be built with
``rules.rate_table_rules(window)``; this proves, on the rendered
mcp_mesh.rules group of a regional stack, that such a table is the rate over
the whole window (rate_windows.test.yaml).
"""

import yaml

from monitoring import conventions as c
from monitoring import rules
from monitoring.resources import RuleGroup
from tests.promtool.conftest import HERE, _run, rendered_rule_file

TEST_FILE = "rate_windows.test.yaml"


def test_a_1h_table_from_the_5m_tables_is_the_rate_over_the_hour(promtool, regional, tmp_path):
    base = tmp_path / "mcp-mesh-rules.yaml"
    base.write_text(rendered_rule_file(regional, c.GROUP_MESH_RULES))
    windows = tmp_path / "windows.yaml"
    group = RuleGroup("rate_windows", rules.rate_table_rules("1h"), interval=regional.prometheus.evaluation_interval)
    windows.write_text(yaml.safe_dump({"groups": [group.to_manifest()]}, sort_keys=False))
    _run(promtool, "check", "rules", str(base), str(windows), cwd=tmp_path)
    tests = yaml.safe_load((HERE / TEST_FILE).read_text())
    tests["rule_files"] = [str(base), str(windows)]
    path = tmp_path / TEST_FILE
    path.write_text(yaml.safe_dump(tests, sort_keys=False))
    assert "SUCCESS" in _run(promtool, "test", "rules", str(path), cwd=tmp_path)
