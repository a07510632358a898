"""The scale benchmark runs end to end at a small size and its figures agree with each other.

It runs as a user would (``python benchmarks/bench_scale.py``), on a mesh of
two agents, with the rendered rules evaluated every 2 s so it ends quickly.
The series counts are checked against the mesh's shape (agents x pods x
methods x the library's buckets); nothing is asserted about a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from mcp_mesh_metrics import names
from monitoring import conventions as c
from monitoring import federation
from monitoring.render import render_files
from monitoring.rules import recording_rule_names
from monitoring.stacks import PROJECT_ROOT, load_stack, plan_stack

AGENTS, PODS, METHODS = 2, 3, 4
REGIONAL, GLOBAL = "prod-us-east-1", "prod"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench-scale")
    report = out / "scale.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_scale.py", f"--agents={AGENTS}", f"--pods={PODS}", f"--methods={METHODS}",
         "--hours=1", "--lead=600", "--no-settle", "--eval-interval=2s", "--evaluations=2", "--repeat=1",
         f"--stack={REGIONAL}", f"--global-stack={GLOBAL}", f"--workdir={out / 'work'}", f"--json={report}"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [result] = json.loads(report.read_text())
    return done.stdout, result


def test_it_prints_one_markdown_column_per_size_with_every_row(run):
    stdout, _ = run
    table = [line for line in stdout.splitlines() if line.startswith("|")]
    assert table[0] == f"| | A={AGENTS} |"
    assert all(line.count("|") == 3 for line in table)
    rows = " ".join(table)
    for row in ("rule evaluation", "/federate", "remote write", "peak memory", "TSDB blocks", "dashboard panels"):
        assert row in rows


def test_the_raw_series_are_the_shape_of_the_mesh(run):
    _, r = run
    buckets = len(names.REQUEST_DURATION_BUCKETS) + 1  # and +Inf
    statuses = len((names.STATUS_SUCCESS, names.STATUS_ERROR))
    # per method: requests by status, the buckets, _sum and _count; per pod: connections and info
    per_pod = METHODS * (statuses + buckets + 2) + 2
    assert r["raw_series"] == AGENTS * PODS * per_pod
    # the rate tables: per agent, one series per status and one per bucket
    assert r["rate_table_series"] == AGENTS * (statuses + buckets)


def test_federation_ships_the_federated_records_once_per_agent_whatever_the_pods(run):
    _, r = run
    assert r["federate_match"] == [*federation.match_selectors(federation.federated_records(load_stack(GLOBAL)))]
    by_name = r["federate_series_by_name"]
    assert sum(by_name.values()) == r["federate_series"]
    assert set(by_name) == set(federation.federated_records(load_stack(REGIONAL)))
    assert c.UP not in by_name  # no per-pod series
    for name, count in by_name.items():
        if name == c.RECORD_REGISTRY_HEALTH_SCORE:
            assert count == 1  # one per region
        elif name == c.RECORD_TARGETS_BY_UP:
            assert count == AGENTS + 1  # every agent's targets answer; plus the registry probe's job
        else:
            assert count == AGENTS, name
    assert r["recorded_series"] == r["federate_series"]


def test_remote_write_keeps_every_record_and_nothing_raw(run):
    _, r = run
    settings = load_stack(REGIONAL)
    # Not per agent: the registry score (one), each SLO's objective (one per SLO), and the
    # budget left over an SLO's window, read from 6h tiles the 3 h of synthetic data never fill.
    not_per_agent = (c.RECORD_REGISTRY_HEALTH_SCORE, c.RECORD_SLO_OBJECTIVE, c.RECORD_SLO_BUDGET_REMAINING)
    per_agent = [n for n in recording_rule_names(settings) if n not in not_per_agent]
    # every per-agent record once per agent; the registry score; the objectives; the probe job's target count
    assert r["remote_write_kept"] == AGENTS * len(per_agent) + 1 + len(settings.rules.slos) + 1
    scrape_series = AGENTS * PODS * 5 + 2  # up and four scrape_* per pod; the probe's up and probe_success
    assert r["slo_working_series"] > 0  # the default SLOs' working records exist, and stay in the region
    assert r["all_series"] == (r["raw_series"] + r["rate_table_series"] + r["slo_working_series"]
                               + r["remote_write_kept"] + scrape_series)


def test_raw_and_recorded_panels_answer_for_the_same_series(run):
    _, r = run
    assert len(r["panels"]) == 7
    for panel in r["panels"]:
        assert "raw_error" not in panel and "recorded_error" not in panel, panel
        assert panel["raw_series"] == panel["recorded_series"] > 0, panel["panel"]


def test_every_rendered_rule_group_was_evaluated_and_measured(run):
    _, r = run
    rendered = render_files(plan_stack(REGIONAL))
    groups = {g["name"] for path, text in rendered.items() if path.startswith("rules/")
              for g in yaml.safe_load(text)["groups"]}
    assert set(r["rule_groups"]) == groups
    assert r["rule_evaluations"] >= 2
    assert r["peak_rss_bytes"] > 0 and r["blocks_bytes"] >= r["raw_blocks_bytes"] > 0


def test_the_live_mode_scrapes_the_same_mesh(tmp_path):
    report = tmp_path / "live.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/bench_scale.py", f"--agents={AGENTS}", f"--pods={PODS}", f"--methods={METHODS}",
         "--live=0.1", "--eval-interval=2s", "--evaluations=2", f"--workdir={tmp_path / 'work'}",
         f"--json={report}"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"| | A={AGENTS} (live) |" in done.stdout
    [r] = json.loads(report.read_text())
    buckets = len(names.REQUEST_DURATION_BUCKETS) + 1
    # Scraped, the pods expose what the blocks hold; Prometheus adds up and the scrape_* series itself.
    assert r["mode"] == "live" and r["raw_series"] == AGENTS * PODS * (METHODS * (2 + buckets + 2) + 2)
    assert r["federate_series_by_name"][c.RECORD_TARGETS_BY_UP] == AGENTS  # each agent's pods, counted once
    assert r["rule_evaluations"] >= 2 and r["panels"] == []
