"""``python -m monitoring.render --diff REF``: what a reviewer reads first."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

from monitoring.diff import diff_stack
from tests.conftest import ROOT


def _write(root: Path, files: dict):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))


RULES = {"groups": [{"name": "g", "rules": [
    {"record": "mcp_mesh:a", "expr": "sum(x)"},
    {"alert": "Down", "expr": "up == 0", "for": "5m"},
]}]}


def test_semantic_summary_names_rules_values_and_resources(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, {"rules/r.yaml": RULES, "values/prometheus.yaml": {"a": {"retention": "30d", "keep": 1}},
                 "manifests.yaml": yaml.safe_dump_all([{"kind": "Namespace", "metadata": {"name": "monitoring"}}])})
    changed = yaml.safe_load(yaml.safe_dump(RULES))
    changed["groups"][0]["rules"][1]["for"] = "10m"
    changed["groups"][0]["rules"].pop(0)
    changed["groups"][0]["rules"].append({"record": "mcp_mesh:b", "expr": "sum(y)"})
    _write(new, {"rules/r.yaml": changed, "values/prometheus.yaml": {"a": {"retention": "7d", "keep": 1}},
                 "manifests.yaml": yaml.safe_dump_all([
                     {"kind": "Namespace", "metadata": {"name": "monitoring"}},
                     {"kind": "Secret", "metadata": {"name": "s", "namespace": "monitoring"}}])})
    d = diff_stack("dev", old, new)
    assert d.summary == [
        "rule added    g: record mcp_mesh:b",
        "rule removed  g: record mcp_mesh:a",
        "rule changed  g: alert Down (for)",
        "value         prometheus.a.retention: 30d -> 7d",
        "resource +    Secret monitoring/s",
    ]
    assert any(line.startswith("--- a/dev/rules/r.yaml") for line in d.unified)


def test_identical_trees_have_no_difference(tmp_path):
    _write(tmp_path / "a", {"rules/r.yaml": RULES})
    _write(tmp_path / "b", {"rules/r.yaml": RULES})
    assert not diff_stack("dev", tmp_path / "a", tmp_path / "b").changed


def _git(repo: Path, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _board(*panels):
    return json.dumps({"uid": "overview", "panels": [
        {"id": i, "title": title, "gridPos": {"y": i}, "targets": [{"expr": e} for e in exprs],
         "fieldConfig": {"defaults": {"unit": unit}}}
        for i, (title, unit, exprs) in enumerate(panels, start=1)]})


def test_summary_names_dashboard_panels_added_removed_and_changed_with_their_queries(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    _write(old, {"dashboards/overview.json": _board(
        ("Gone", "s", ["sum(a)"]), ("Errors", "percentunit", ["mcp_mesh:error_rate"]),
        ("Latency", "s", ["mcp_mesh:request_duration:p95"]), ("Same", "short", ["up"]))})
    _write(new, {"dashboards/overview.json": _board(
        ("Errors", "percentunit", ["mcp_mesh:error_rate > 0.01"]), ("Latency", "ms", ["mcp_mesh:request_duration:p95"]),
        ("Same", "short", ["up"]), ("New", "reqps", ["sum(\n  mcp_mesh:request_rate\n)"]))})
    d = diff_stack("dev", old, new)
    assert d.summary == [
        'panel changed overview: "Errors" (targets)',
        "                - mcp_mesh:error_rate",
        "                + mcp_mesh:error_rate > 0.01",
        'panel removed overview: "Gone"',
        "                - sum(a)",
        'panel changed overview: "Latency" (fieldConfig)',
        'panel added   overview: "New"',
        "                + sum( mcp_mesh:request_rate )",
    ]


def _repository_copy(tmp_path: Path) -> Path:
    """A git repository holding the working tree's files, committed once."""
    repo = tmp_path / "repo"
    repo.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"], capture_output=True, check=True)
    for rel in archive.stdout.decode().split("\0"):
        if rel and (ROOT / rel).is_file():
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / rel).read_bytes())
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    return repo


def test_diff_against_the_previous_commit_of_a_repository(tmp_path):
    repo = _repository_copy(tmp_path)
    dev = repo / "Pulumi.dev.yaml"
    custom = ("  mcp-mesh-monitoring:customRules:\n"
              "    - record: mcp_mesh:tool_calls:rate1m\n"
              "      expr: sum by (agent) (rate(mcp_mesh_requests_total[1m]))\n")
    dev.write_text(dev.read_text() + custom)
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "a custom rule")
    dev.write_text(dev.read_text().replace("retention: 2d", "retention: 3d").replace("[1m]", "[2m]"))
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam",
         "longer dev retention, slower custom rule")

    result = subprocess.run([sys.executable, "-m", "monitoring.render", "--diff", "HEAD~1", "--out",
                             str(tmp_path / "build")], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== stack dev: changes against HEAD~1 ==" in out
    assert "value         prometheus.prometheus.prometheusSpec.retention: 2d -> 3d" in out
    assert "rule changed  mcp_mesh.custom: record mcp_mesh:tool_calls:rate1m (expr)" in out
    assert "== stack prod-us-east-1: no change ==" in out
    assert "-    retention: 2d" in out and "+    retention: 3d" in out


def test_a_changed_panel_query_shows_in_the_diff_with_old_and_new_query(tmp_path):
    repo = _repository_copy(tmp_path)
    queries = repo / "monitoring" / "queries.py"
    queries.write_text(queries.read_text().replace('FORECAST_LOOKBACK = "1h"', 'FORECAST_LOOKBACK = "2h"'))
    _git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qam", "longer forecast look-back")
    result = subprocess.run([sys.executable, "-m", "monitoring.render", "--diff", "HEAD~1", "--stack", "dev",
                             "--out", str(tmp_path / "build")], cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    at = lines.index('  panel changed mcp-mesh-agent-detail: "Connections" (targets)')
    assert lines[at + 1:at + 3] == [
        '                  - predict_linear(mcp_mesh:connections:sum{agent=~"$agent"}[1h], 14400)',
        '                  + predict_linear(mcp_mesh:connections:sum{agent=~"$agent"}[2h], 14400)',
    ]
    assert sum("panel " in line for line in lines) == 1, result.stdout
