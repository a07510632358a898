"""Every custom resource the program creates validates against its CRD, unknown fields rejected.

The schemas are the prometheus-operator CRDs the stack installs
(``reference/prometheus-operator-crds``, kept in the repository), matched
by apiVersion and kind. The API server prunes unknown fields silently, so a
misspelt field (``honourLabels``) would deploy as if unset; here every object
schema that lists its properties and does not preserve unknown fields is
closed with ``additionalProperties: false``, turning such a field into a
failure. Resources are validated as the offline render writes them (through
YAML), which is also where a string like ``"true"`` could turn into a boolean.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest
import yaml

from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.render import to_yaml
from monitoring.settings import load_settings
from monitoring.resources import CUSTOM_RESOURCE_TYPES
from monitoring.stacks import StackFileSources, plan_stack, read_stack_config, stack_names

CRD_DIR = "prometheus-operator-crds"
PRESERVE_UNKNOWN = "x-kubernetes-preserve-unknown-fields"


def close_schema(schema: Any) -> Any:
    """A copy of an OpenAPI schema in which objects with listed properties accept no others."""
    schema = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        if "properties" in node and not node.get(PRESERVE_UNKNOWN) and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for key in ("properties", "patternProperties"):
            for child in node.get(key, {}).values():
                walk(child)
        for key in ("items", "additionalProperties", "not"):
            walk(node.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            walk(node.get(key, []))

    walk(schema)
    return schema


@pytest.fixture(scope="module")
def schemas(reference_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> closed openAPIV3Schema, for every CRD in the reference directory."""
    out = {}
    for path in sorted((reference_dir / CRD_DIR).glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            out[(f"{group}/{version['name']}", kind)] = close_schema(version["schema"]["openAPIV3Schema"])
    assert out, f"no CRDs found in {reference_dir / CRD_DIR}"
    return out


def validation_errors(schemas, manifest: dict[str, Any]) -> list[str]:
    key = (manifest["apiVersion"], manifest["kind"])
    if key not in schemas:
        return [f"no CRD for {key[0]} {key[1]}"]
    validator = jsonschema.Draft7Validator(schemas[key])
    return sorted(f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                  for e in validator.iter_errors(manifest))


def _variants() -> Iterator[tuple[str, Any]]:
    for stack in stack_names():
        # plan_stack: with the global stack's federation ScrapeConfig, as the render has it.
        yield stack, plan_stack(stack)
    regional = {"cluster": "c1", "region": "r1"}
    yield "registry-metrics+sd-jobs", build_plan(load_settings("variant", {
        **regional, "registryServesMetrics": True, "kubernetesSdJobs": True,
        "dropMetrics": ["go_memstats_.*", "go_.*|process_.*"]}))
    yield "custom-selectors-no-blackbox", build_plan(load_settings("variant", {
        **regional, "blackboxExporterEnabled": False, "meshNamespace": "agents",
        "agentSelector": {"team": "mesh", "tier": "agent"}, "agentNameLabel": "app.kubernetes.io/name",
        "registrySelector": {"app": "registry"}, "registryServesMetrics": True}))
    # The global stack with https regions, basic auth and a private CA (secrets by reference).
    global_plain, _ = read_stack_config("prod")
    secured = load_settings("prod", {**global_plain, "federationTargets": [
        {"cluster": "partner", "region": "ap-south-1", "endpoint": "fed.partner.example.com:443", "scheme": "https"}]},
        frozenset({c.SECRET_FEDERATION_BASIC_AUTH, c.SECRET_FEDERATION_CA}))
    yield "global-https-federation", build_plan(secured, StackFileSources())


CASES = [(f"{label}/{cr.kind}/{cr.name}", cr) for label, plan in _variants() for cr in plan.custom_resources]


def test_the_variants_cover_every_kind_of_the_registry():
    assert {cr.kind for _, cr in CASES} == set(c.CUSTOM_RESOURCE_KINDS)


def test_every_kind_of_the_registry_has_a_typed_class_and_a_crd(schemas):
    assert set(CUSTOM_RESOURCE_TYPES) == set(c.CUSTOM_RESOURCE_KINDS)
    for kind, cls in CUSTOM_RESOURCE_TYPES.items():
        assert (cls.api_version, kind) in schemas, kind


@pytest.mark.parametrize("cr", [cr for _, cr in CASES], ids=[case_id for case_id, _ in CASES])
def test_custom_resource_validates_against_its_crd(cr, schemas):
    rendered = yaml.safe_load(to_yaml(cr.to_manifest()))
    assert rendered == cr.to_manifest(), "the manifest changes when written to YAML and read back"
    assert validation_errors(schemas, rendered) == []


def test_a_misspelt_field_is_rejected(schemas):
    [monitor] = [cr for _, cr in CASES if cr.kind == "ServiceMonitor"][:1]
    manifest = monitor.to_manifest()
    manifest["spec"]["endpoints"][0]["honourLabels"] = False
    manifest["spec"]["endpoints"][0]["relabelings"][0]["target_label"] = "job"
    errors = validation_errors(schemas, manifest)
    assert len(errors) == 2
    assert any("'honourLabels' was unexpected" in e for e in errors)
    assert any("'target_label' was unexpected" in e for e in errors)


def test_the_guides_unquoted_regex_true_is_rejected(schemas):
    # `regex: true` in YAML is a boolean; the CRD's regex is a string.
    [scrape_config] = [cr for _, cr in CASES if cr.name == c.JOB_ANNOTATED_PODS][:1]
    rendered = to_yaml(scrape_config.to_manifest())
    assert "regex: 'true'" in rendered
    manifest = yaml.safe_load(rendered.replace("regex: 'true'", "regex: true"))
    assert validation_errors(schemas, manifest) == [
        "spec.relabelings.2.regex: True is not of type 'string'"]


def test_kinds_without_a_crd_are_reported(schemas):
    assert validation_errors(schemas, {"apiVersion": "monitoring.coreos.com/v1", "kind": "Nonsense"}) == [
        "no CRD for monitoring.coreos.com/v1 Nonsense"]
