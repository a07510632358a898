"""The Alertmanager configuration the chart will render, checked by the real amtool."""

import shutil
import subprocess

import pytest
import yaml

from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.stacks import load_stack, stack_names
from monitoring.values import slack_webhook_path

AMTOOL = shutil.which("amtool")


def helm_merge(defaults, overrides):
    """Helm's coalescing of user values over chart defaults: maps merge, the rest replaces."""
    if isinstance(defaults, dict) and isinstance(overrides, dict):
        merged = dict(defaults)
        for key, value in overrides.items():
            merged[key] = helm_merge(defaults.get(key), value)
        return merged
    return overrides


def rendered_config(stack, reference_dir):
    chart = yaml.safe_load((reference_dir / "kube-prometheus-stack/values.yaml").read_text())
    values = build_plan(load_stack(stack)).stack_release.values
    return helm_merge(chart["alertmanager"]["config"], values["alertmanager"]["config"])


@pytest.mark.parametrize("stack", stack_names())
def test_amtool_accepts_the_alertmanager_config(stack, reference_dir, tmp_path):
    assert AMTOOL, "amtool not installed (apt-get install prometheus-alertmanager)"
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(rendered_config(stack, reference_dir)))
    result = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_amtool_rejects_a_broken_route(reference_dir, tmp_path):
    config = rendered_config("prod-us-east-1", reference_dir)
    config["route"]["receiver"] = "nobody"
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    result = subprocess.run([AMTOOL, "check-config", str(path)], capture_output=True, text=True)
    assert result.returncode != 0 and "nobody" in result.stdout + result.stderr


def test_slack_webhook_is_read_from_the_mounted_secret_never_inlined(reference_dir):
    settings = load_stack("prod-us-east-1")
    config = rendered_config("prod-us-east-1", reference_dir)
    default = next(r for r in config["receivers"] if r["name"] == c.ALERTMANAGER_DEFAULT_RECEIVER)
    (slack,) = default["slack_configs"]
    assert "api_url" not in slack
    assert slack["api_url_file"] == slack_webhook_path(settings)
    assert slack["api_url_file"].startswith(c.ALERTMANAGER_SECRETS_DIR + "/" + c.slack_secret_name("prometheus") + "/")
    values = build_plan(settings).stack_release.values
    assert values["alertmanager"]["alertmanagerSpec"]["secrets"] == [c.slack_secret_name("prometheus")]
    assert config["route"]["group_by"] == ["alertname", "namespace"]
    assert (config["route"]["group_wait"], config["route"]["group_interval"],
            config["route"]["repeat_interval"], config["global"]["resolve_timeout"]) == ("10s", "10s", "12h", "5m")
    assert slack["channel"] == "#alerts"
