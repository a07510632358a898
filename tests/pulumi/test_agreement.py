"""What is reviewed offline is what is deployed, and deploying twice changes nothing.

The render and the Pulumi program share the plan builders; these tests hold
them to it by comparing what the program registers under mocks with the files
the render writes, and by running the program twice.
"""

import json

import pytest
import yaml

from components.monitoring_stack import RESOURCE_TYPES
from monitoring import conventions as c
from monitoring.resources import CustomResource
from monitoring.plan import build_plan
from monitoring.render import render_files, write_stack
from monitoring.settings import FederationTarget, load_settings
from monitoring.stacks import StackFileSources, read_stack_config, stack_names
from tests.pulumi.harness import ROOT, regional_outputs, run_program, stack_config

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRETS = {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/agreement"}
CREDENTIALS = {"username": "federator", "password": "agreement-pw-5e1"}
CA_PEM = (ROOT / "tests" / "data" / "federation-ca.pem").read_text()

# Settings beyond the stack files, so that every type of object the plan can
# hold (an exposure Service or Ingress, a created StorageClass, the federator's
# Secrets) is compared too: (stack, extra settings, extra secrets).
VARIANTS = {
    "service-name": ("prod-us-east-1", {"federationExposure": "service-name",
                                        "federationHost": "prometheus.us-east-1.mesh.internal"}, {}),
    "ingress": ("prod-eu-west-1", {"federationExposure": "ingress", "federationHost": "fed.eu.example.com",
                                   "federationCertIssuer": "letsencrypt"},
                {c.SECRET_FEDERATION_BASIC_AUTH: CREDENTIALS}),
    "secured-global": ("prod", {}, {c.SECRET_FEDERATION_BASIC_AUTH: CREDENTIALS, c.SECRET_FEDERATION_CA: CA_PEM}),
}


def _secrets(stack):
    return {} if stack == "dev" else SECRETS


def _cases():
    for stack in stack_names():
        yield pytest.param(stack, {}, {}, id=stack)
    for label, (stack, extra, secrets) in VARIANTS.items():
        yield pytest.param(stack, extra, secrets, id=label)


class _DeployedSources(StackFileSources):
    """Federation sources answering what the mocked regional stacks export (their
    load balancers' addresses, known only once deployed), as the stack references do."""

    def exports(self, stack: str) -> FederationTarget:
        outputs = regional_outputs(stack)
        return FederationTarget(outputs[c.OUTPUT_CLUSTER], outputs[c.OUTPUT_REGION],
                                outputs[c.OUTPUT_FEDERATION_ENDPOINT], outputs[c.OUTPUT_FEDERATION_SCHEME])


def _rendered(stack, extra, secrets) -> dict[str, str]:
    """The render's files of a stack file plus extra settings, its federation read from deployed stacks."""
    plain, secret_keys = read_stack_config(stack)
    settings = load_settings(stack, {**plain, **extra}, secret_keys | set(_secrets(stack)) | set(secrets))
    return render_files(build_plan(settings, _DeployedSources()))


@pytest.mark.parametrize("stack, extra, secrets", _cases())
def test_every_registered_object_equals_the_render(stack, extra, secrets, tmp_path):
    """What ``pulumi up`` registers is what the render shows, for every kind of object.

    Values of each release; every Kubernetes object (namespace, storage class,
    secrets, exposure, custom resources) field by field, Secrets' values
    excepted: the render notes where each comes from, the program sends it
    (tests/pulumi/test_program.py checks they travel as secrets).
    """
    run = run_program(stack, {**stack_config(stack), **extra}, {**_secrets(stack), **secrets})
    files = _rendered(stack, extra, secrets)

    releases = run.by_type(RELEASE)
    assert releases
    for release in releases:
        name = release.inputs["name"]
        rendered = yaml.safe_load(files[f"values/{name}.yaml"]) or {}
        assert release.inputs.get("values", {}) == rendered, name

    rendered = {(m["kind"], m["metadata"]["name"]): m for m in yaml.safe_load_all(files["manifests.yaml"]) if m}
    registered = {(r.inputs["kind"], r.inputs["metadata"]["name"]): r.inputs for r in run.registrations
                  if r.custom and r.type.startswith("kubernetes:") and r.type != RELEASE}
    assert registered.keys() == rendered.keys()
    for key, inputs in registered.items():
        manifest = dict(rendered[key])
        if key[0] == "Secret":
            assert inputs.pop("stringData").keys() == manifest.pop("stringData").keys(), key
        assert inputs == manifest, key


def test_the_cases_cover_every_type_of_object_a_plan_holds(tmp_path):
    kinds = set()
    for case in _cases():
        stack, extra, secrets = case.values
        files = _rendered(stack, extra, secrets)
        kinds |= {m["kind"] for m in yaml.safe_load_all(files["manifests.yaml"]) if m}
    creatable = {cls.kind for cls in RESOURCE_TYPES if cls is not CustomResource} | set(c.CUSTOM_RESOURCE_KINDS)
    assert kinds == creatable
    assert {"Namespace", "StorageClass", "Secret", "Service", "Ingress", "ConfigMap"} <= kinds


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
