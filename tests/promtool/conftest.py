"""Running promtool on the rule files the render writes.

Each case renders one rule group through the real path
(stack file -> settings -> build_plan -> render_files), writes the rendered
``rules/<name>.yaml`` to a temporary folder, and runs ``promtool check rules``
and ``promtool test rules`` on it with the unit-test file kept beside the
module. A promtool failure fails the test with promtool's own output.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest
import yaml

from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.render import render_files
from monitoring.settings import StackSettings
from monitoring.stacks import load_stack

HERE = Path(__file__).resolve().parent
# A regional production stack: it deploys every rule group with the defaults.
REGIONAL_STACK = "prod-us-east-1"


@pytest.fixture(scope="session")
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: `bash scripts/setup --tools` installs Debian's prometheus package")
    return path


@pytest.fixture(scope="session")
def regional() -> StackSettings:
    return load_stack(REGIONAL_STACK)


def rendered_rule_file(settings: StackSettings, group: str) -> str:
    """The rule file ``python -m monitoring.render`` writes for one group of a stack."""
    files = render_files(build_plan(settings))
    path = f"rules/{c.rule_cr_name(group)}.yaml"
    assert path in files, f"{settings.stack} renders no {path}; it renders {sorted(files)}"
    return files[path]


def _run(promtool: str, *args: str, cwd: Path) -> str:
    proc = subprocess.run([promtool, *args], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (
        f"promtool {' '.join(args)} exited {proc.returncode}\n"
        f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc.stdout


# Every recording rule is tested in a test case whose name says each of these.
RECORDING_CASES = ("normal", "idle", "errors", "missing")


def assert_cases_cover(rule_file: dict, tests: dict) -> None:
    """The unit-test file exercises every rule of the rendered group.

    Each recording rule is queried in a normal, an idle, an errors and a
    missing-input case; each alert has a case where it stays quiet and one
    where it fires with its annotations (runbook URL included) spelled out.
    """
    cases = tests.get("tests") or []
    for group in rule_file["groups"]:
        for rule in group["rules"]:
            if "record" in rule:
                record = rule["record"]
                tested_in = {
                    kind for case in cases for kind in RECORDING_CASES
                    if kind in case.get("name", "")
                    and any(t["expr"].split("{")[0].strip() == record for t in case.get("promql_expr_test") or [])
                }
                missing = [kind for kind in RECORDING_CASES if kind not in tested_in]
                assert not missing, f"recording rule {record} has no {', '.join(missing)} case"
                continue
            alert = rule["alert"]
            checks = [t for case in cases for t in case.get("alert_rule_test") or [] if t["alertname"] == alert]
            assert any(not t.get("exp_alerts") for t in checks), f"alert {alert} has no quiet case"
            firing = [a for t in checks for a in t.get("exp_alerts") or []]
            assert firing, f"alert {alert} has no firing case"
            for expected in firing:
                assert set(expected.get("exp_annotations", {})) >= set(rule["annotations"]), (
                    f"alert {alert}: a firing case leaves annotations unchecked")


@pytest.fixture
def prove_group(promtool: str, tmp_path: Path) -> Callable[..., str]:
    """Render ``group`` of ``settings``, then check it and run the unit tests of ``test_file``.

    The unit-test file's ``rule_files`` is pointed at the rendered file, so the
    tests run against exactly what the stack deploys. ``reads`` names the
    groups whose records ``group`` reads; their rendered files are loaded
    first (promtool evaluates the groups in that order at every step).
    """
    def prove(settings: StackSettings, group: str, test_file: str, reads: tuple[str, ...] = ()) -> str:
        paths = []
        for name in (*reads, group):
            path = tmp_path / f"{c.rule_cr_name(name)}.yaml"
            path.write_text(rendered_rule_file(settings, name))
            paths.append(path)
        rules_path = paths[-1]
        _run(promtool, "check", "rules", *map(str, paths), cwd=tmp_path)
        tests = yaml.safe_load((HERE / test_file).read_text())
        assert_cases_cover(yaml.safe_load(rules_path.read_text()), tests)
        tests["rule_files"] = [str(p) for p in paths]
        if reads:
            # Without it promtool runs the groups in map order, which varies
            # from run to run (and moves a `for` boundary by an evaluation).
            tests["group_eval_order"] = [*reads, group]
        tests_path = tmp_path / test_file
        tests_path.write_text(yaml.safe_dump(tests, sort_keys=False))
        return _run(promtool, "test", "rules", str(tests_path), cwd=tmp_path)

    return prove
