"""`promtool check rules` accepts every rule file every stack renders."""

import subprocess

import pytest

from monitoring.plan import build_plan
from monitoring.render import render_files
from monitoring.settings import load_settings
from monitoring.stacks import read_stack_config, stack_names

from tests.promtool.conftest import REGIONAL_STACK

# Settings that change which rules are rendered.
VARIANTS = {
    "registry serves metrics": {"registryServesMetrics": True},
    "nothing observes the registry": {"blackboxExporterEnabled": False},
    "tighter thresholds": {"sloLatencyThreshold": "250ms", "registryLatencyThreshold": "100ms",
                           "remoteWriteMaxLag": "30s", "prometheusMemoryAlertPercent": 95,
                           "prometheusMemoryLimit": "6Gi", "evaluationInterval": "1m"},
    "per-agent SLOs and overrides": {
        "slos": [{"name": "availability", "sli": "availability", "objective": 99.9},
                 {"name": "latency", "sli": "latency", "objective": 99},
                 {"name": "weather-availability", "sli": "availability", "objective": 99.5, "window": "28d",
                  "agents": ["weather", "weather.v2"]},
                 {"name": "search-latency", "sli": "latency", "objective": 95, "threshold": "2500ms",
                  "agents": ["search"]}],
        "ruleOverrides": {"MCPMeshAgentHighErrorRate": {"threshold": 0.05, "severity": "critical"},
                          "MCPMeshFewerAgentsReporting": {"disabled": True}}},
    "no SLOs": {"slos": []},
}


def _check_rendered(promtool, tmp_path, settings) -> int:
    files = {path: text for path, text in render_files(build_plan(settings)).items() if path.startswith("rules/")}
    assert files, f"{settings.stack} renders no rule file"
    paths = []
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(str(path))
    proc = subprocess.run([promtool, "check", "rules", *paths], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"promtool check rules failed:\n{proc.stdout}\n{proc.stderr}"
    return len(paths)


@pytest.mark.parametrize("stack", stack_names())
def test_every_rule_file_of_every_stack_passes_promtool_check(promtool, tmp_path, stack):
    plain, secrets = read_stack_config(stack)
    _check_rendered(promtool, tmp_path, load_settings(stack, plain, secrets))


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rule_files_of_setting_variants_pass_promtool_check(promtool, tmp_path, variant):
    plain, secrets = read_stack_config(REGIONAL_STACK)
    _check_rendered(promtool, tmp_path, load_settings(REGIONAL_STACK, {**plain, **VARIANTS[variant]}, secrets))
