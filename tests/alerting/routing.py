"""The Alertmanager configuration a stack deploys, as the chart renders it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.settings import StackSettings, load_settings
from monitoring.stacks import read_stack_config

REFERENCE = Path(__file__).resolve().parents[2] / "reference"


def helm_merge(defaults: Any, overrides: Any) -> Any:
    """Helm's coalescing of user values over chart defaults: maps merge, the rest replaces."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        merged = dict(defaults)
        for key, value in overrides.items():
            merged[key] = helm_merge(defaults.get(key), value)
        return merged
    return overrides


def stack_settings(stack: str, secrets: frozenset[str] = frozenset(), **changes: Any) -> StackSettings:
    """A stack file's settings with ``changes`` on top, required secrets checked.

    The Slack webhook is marked as set (as on every deployed prod stack);
    further secrets only when given in ``secrets``.
    """
    plain, set_secrets = read_stack_config(stack)
    secrets = set_secrets | secrets | {c.SECRET_SLACK_WEBHOOK}
    return load_settings(stack, {**plain, **changes}, secrets, check_secrets=True)


def rendered_config(settings: StackSettings) -> dict[str, Any]:
    """alertmanager.yml as the chart renders it from the stack's values."""
    chart = yaml.safe_load((REFERENCE / "kube-prometheus-stack/values.yaml").read_text())
    values = build_plan(settings).stack_release.values
    return helm_merge(chart["alertmanager"]["config"], values["alertmanager"]["config"])


def amtool(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("amtool")
    assert exe, "amtool not installed (apt-get install prometheus-alertmanager)"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=60)


def route_of(config_path: Path, **labels: str) -> str:
    """The receiver(s) `amtool config routes test` picks for an alert with ``labels``."""
    result = amtool("config", "routes", "test", f"--config.file={config_path}",
                    *(f"{k}={v}" for k, v in labels.items()))
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()
