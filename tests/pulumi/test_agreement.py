"""What is reviewed offline is what is deployed, and deploying twice changes nothing.

The render and the Pulumi program share the plan builders; these tests hold
them to it by comparing what the program registers under mocks with the files
the render writes, and by running the program twice.
"""

import json

import pytest
import yaml

from monitoring import conventions as c
from monitoring.render import write_stack
from monitoring.stacks import stack_names
from tests.pulumi.harness import run_program, stack_config

RELEASE = "kubernetes:helm.sh/v3:Release"
CUSTOM_RESOURCE_PREFIX = "kubernetes:monitoring.coreos.com/"
SECRETS = {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/agreement"}


def _secrets(stack):
    return {} if stack == "dev" else SECRETS


@pytest.mark.parametrize("stack", stack_names())
def test_registered_values_and_custom_resources_equal_the_render(stack, tmp_path):
    run = run_program(stack, stack_config(stack), _secrets(stack))
    write_stack(stack, tmp_path)
    rendered_root = tmp_path / stack

    releases = run.by_type(RELEASE)
    assert releases
    for release in releases:
        name = release.inputs["name"]
        rendered = yaml.safe_load((rendered_root / "values" / f"{name}.yaml").read_text()) or {}
        assert release.inputs.get("values", {}) == rendered, name

    manifests = [m for m in yaml.safe_load_all((rendered_root / "manifests.yaml").read_text()) if m]
    rendered_crs = {(m["kind"], m["metadata"]["name"]): m for m in manifests
                    if m["apiVersion"].startswith("monitoring.coreos.com/")}
    registered_crs = {}
    for r in run.registrations:
        if r.type.startswith(CUSTOM_RESOURCE_PREFIX):
            registered_crs[(r.inputs["kind"], r.inputs["metadata"]["name"])] = r.inputs
    assert registered_crs.keys() == rendered_crs.keys()
    for key, inputs in registered_crs.items():
        assert inputs["spec"] == rendered_crs[key]["spec"], key
        assert inputs["metadata"] == rendered_crs[key]["metadata"], key
        assert inputs["apiVersion"] == rendered_crs[key]["apiVersion"], key

    rendered_objects = {(m["kind"], m["metadata"]["name"]) for m in manifests}
    registered_objects = {(r.inputs["kind"], r.inputs["metadata"]["name"]) for r in run.registrations
                          if r.custom and r.type.startswith("kubernetes:") and r.type != RELEASE}
    assert registered_objects == rendered_objects


@pytest.mark.parametrize("stack", ["dev", "prod-us-east-1", "prod"])
def test_running_the_program_twice_registers_identical_inputs(stack):
    def snapshot():
        run = run_program(stack, stack_config(stack), _secrets(stack))
        # Map keys are unordered for the engine too; list order is kept and compared.
        return sorted((r.type, r.name, r.parent, r.protect, tuple(sorted(r.dependencies)),
                       json.dumps(r.raw_inputs, sort_keys=True)) for r in run.registrations)

    first, second = snapshot(), snapshot()
    assert first, "the program registered nothing"
    assert first == second


def test_render_is_byte_identical_across_runs(tmp_path):
    for stack in stack_names():
        write_stack(stack, tmp_path / "a")
        write_stack(stack, tmp_path / "b")
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert a and a == b
