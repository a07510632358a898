"""The query library's own expressions, evaluated by promtool on hand-made series.

The dashboard end-to-end test shows that every panel returns data; this one
checks what the guide's advanced queries return, values included, where a
live server cannot (a week of history) or only roughly could: each case
feeds the recorded series a query reads and states the answer worked out by
hand.
"""

from __future__ import annotations

import subprocess

import yaml

from monitoring import conventions as c
from monitoring import queries as q

AGENT_A = 'agent="a", namespace="mesh"'
AGENT_B = 'agent="b", namespace="mesh"'
AGENT_C = 'agent="c", namespace="mesh"'


def _case(interval: str, series: dict[str, str], eval_time: str, expr: str, expected: dict[str, float]):
    return {
        "interval": interval,
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "promql_expr_test": [{
            "expr": expr, "eval_time": eval_time,
            "exp_samples": [{"labels": labels, "value": value} for labels, value in expected.items()],
        }],
    }


def test_the_guides_advanced_queries_return_what_was_worked_out_by_hand(promtool, tmp_path):
    rate, errors, connections = c.RECORD_REQUEST_RATE, c.RECORD_ERROR_RATE, c.RECORD_CONNECTIONS
    tests = [
        # A week ago a served 10/s and now 15/s: +50%; c went from 4 to 2: -50%;
        # b had no traffic a week ago, so it has no change (not +Inf).
        _case("1d", {f"{rate}{{{AGENT_A}}}": "10x7 15", f"{rate}{{{AGENT_B}}}": "0x7 5",
                     f"{rate}{{{AGENT_C}}}": "4x7 2"},
              "8d", q.request_rate_week_over_week(), {'{agent="a"}': 50, '{agent="c"}': -50}),
        # The two busiest of three agents; b's two namespaces add up.
        _case("1m", {f"{rate}{{{AGENT_A}}}": "3", f'{rate}{{agent="b", namespace="x"}}': "2",
                     f'{rate}{{agent="b", namespace="y"}}': "2", f"{rate}{{{AGENT_C}}}": "1"},
              "0m", q.top_agents_by_request_rate(2), {'{agent="b"}': 4, '{agent="a"}': 3}),
        # Above 1% only: a at 2% is listed, b at 0.5% is not.
        _case("1m", {f"{errors}{{{AGENT_A}}}": "0.02", f"{errors}{{{AGENT_B}}}": "0.005"},
              "0m", q.agents_with_error_ratio_above(0.01), {f"{errors}{{{AGENT_A}}}": 0.02}),
        # Connections growing by one a minute for an hour: 60 now, 300 four hours on; flat stays flat.
        _case("1m", {f"{connections}{{{AGENT_A}}}": "0+1x60", f"{connections}{{{AGENT_B}}}": "5x60"},
              "60m", q.connections_forecast(4), {f"{{{AGENT_A}}}": 300, f"{{{AGENT_B}}}": 5}),
        # Availability 75% against a 50% objective: half the budget spent, burning at half speed.
        _case("1m", {f"{c.RECORD_SLO_AVAILABILITY}{{{AGENT_A}}}": "0.75x60"},
              "60m", q.burn_rate(c.RECORD_SLO_AVAILABILITY, 0.5, "1h"), {f"{{{AGENT_A}}}": 0.5}),
        _case("1m", {f"{c.RECORD_SLO_AVAILABILITY}{{{AGENT_A}}}": "0.75x60"},
              "60m", q.error_budget_remaining(c.RECORD_SLO_AVAILABILITY, 0.5, "1h"), {f"{{{AGENT_A}}}": 0.5}),
    ]
    # The SLO records of the `slos` setting: agent a fails 0.5% over 1h, b 0.25%,
    # against a 99% objective (budget 1 - 0.99 = 0.010000000000000009 as a float).
    ratio1h, objective = c.slo_error_ratio("1h"), c.RECORD_SLO_OBJECTIVE
    slo_series = {f'{ratio1h}{{slo="s", {AGENT_A}}}': "0.005", f'{ratio1h}{{slo="s", {AGENT_B}}}': "0.0025",
                  f'{ratio1h}{{slo="other", {AGENT_C}}}': "0.5", f'{objective}{{slo="s"}}': "0.99",
                  f'{objective}{{slo="other"}}': "0.9"}
    tests += [
        # the fastest burn is a's: 0.005 / 0.010000000000000009 = 0.49999999999999956
        _case("1m", slo_series, "0m", q.slo_burn_rate("s", "1h"), {'{slo="s"}': 0.49999999999999956}),
        # the worst SLI is a's: 1 - 0.005
        _case("1m", slo_series, "0m", q.slo_worst_sli("s", "1h"), {"{}": 0.995}),
        _case("1m", slo_series, "0m", q.slo_objective("s"), {f'{objective}{{slo="s"}}': 0.99}),
        _case("1m", {f'{c.RECORD_SLO_BUDGET_REMAINING}{{slo="s", {AGENT_A}}}': "0.25",
                     f'{c.RECORD_SLO_BUDGET_REMAINING}{{slo="s", {AGENT_B}}}': "-0.5",
                     f'{c.RECORD_SLO_BUDGET_REMAINING}{{slo="other", {AGENT_C}}}': "-3"},
              "0m", q.slo_budget_remaining("s"), {"{}": -0.5}),
    ]
    table = c.RECORD_REQUEST_DURATION_RATE_TABLE
    tests.append(_case("1m", {f'{table}{{{AGENT_A}, le="0.1"}}': "4", f'{table}{{{AGENT_B}, le="0.1"}}': "1",
                              f'{table}{{{AGENT_A}, le="+Inf"}}': "5"},
                       "0m", q.latency_heatmap(), {'{le="0.1"}': 5, '{le="+Inf"}': 5}))
    # The global view from federated records. east: weather 3 pods answering,
    # search 1 of 2 (the registry probe's job is not an agent's): 4 of 5;
    # west: its only target fails, 0 and not absent.
    targets = c.RECORD_TARGETS_BY_UP
    agents = f'job="{c.JOB_AGENT_METRICS}", namespace="mesh"'
    tests.append(_case("1m", {
        f'{targets}{{region="east", agent="weather", {agents}, up="1"}}': "3",
        f'{targets}{{region="east", agent="search", {agents}, up="1"}}': "1",
        f'{targets}{{region="east", agent="search", {agents}, up="0"}}': "1",
        f'{targets}{{region="east", job="{c.JOB_REGISTRY_PROBE}", up="0"}}': "1",
        f'{targets}{{region="west", agent="weather", {agents}, up="0"}}': "1",
    }, "0m", q.agent_targets_up_by_region(), {'{region="east"}': 0.8, '{region="west"}': 0}))
    # The lowest availability SLI per region: 1 - the worst error ratio.
    tests.append(_case("1m", {f'{errors}{{region="east", {AGENT_A}}}': "0.02",
                              f'{errors}{{region="east", {AGENT_B}}}': "0.25",
                              f'{errors}{{region="west", {AGENT_C}}}': "0"},
                       "0m", q.availability_by_region(), {'{region="east"}': 0.75, '{region="west"}': 1}))
    (tmp_path / "none.yaml").write_text(yaml.safe_dump({"groups": []}))
    (tmp_path / "queries.test.yaml").write_text(yaml.safe_dump({"rule_files": ["none.yaml"], "tests": tests}))
    proc = subprocess.run([promtool, "test", "rules", "queries.test.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
