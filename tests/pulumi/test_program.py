"""The real ``__main__.py`` under Pulumi mocks, once per stack file."""

import json

import pytest

from monitoring import conventions as c
from monitoring.settings import SettingsError
from monitoring.stacks import stack_names
from tests.pulumi.harness import (
    GENERATED_PASSWORD, Run, is_secret, run_program, stack_config, without_secrets,
)

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
NAMESPACE = "kubernetes:core/v1:Namespace"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"

SLACK_WEBHOOK = "https://hooks.slack.example/services/T000/B000/webhook-literal-7f1d"
GRAFANA_PASSWORD = "grafana-literal-password-9c2e"


def secrets_for(stack: str, with_grafana_password: bool) -> dict:
    secrets = {}
    if stack != "dev":
        secrets[c.SECRET_SLACK_WEBHOOK] = SLACK_WEBHOOK
    if with_grafana_password:
        secrets[c.SECRET_GRAFANA_ADMIN_PASSWORD] = GRAFANA_PASSWORD
    return secrets


@pytest.fixture(scope="module", params=stack_names())
def stack_run(request):
    stack = request.param
    # Alternate between a configured and a generated Grafana password.
    with_password = stack_names().index(stack) % 2 == 0
    run = run_program(stack, stack_config(stack), secrets_for(stack, with_password))
    assert run.registrations, "the program registered nothing"
    return stack, with_password, run


def test_each_stack_registers_one_component_with_every_resource_inside_it(stack_run):
    stack, with_password, run = stack_run
    component = run.one(c.MONITORING_STACK_TYPE)
    assert component.name == stack and not component.custom
    children = [r for r in run.registrations if r is not component]
    assert children and all(r.parent == component.urn for r in children)
    releases = {r.inputs["name"]: r for r in run.by_type(RELEASE)}
    assert set(releases) >= {c.CRDS_RELEASE_NAME, "prometheus"}
    assert run.one(NAMESPACE).inputs["metadata"]["name"] == "monitoring"
    assert len(run.by_type(RANDOM_PASSWORD)) == (0 if with_password else 1)
    secret_names = {r.inputs["metadata"]["name"] for r in run.by_type(SECRET)}
    expected = {c.grafana_admin_secret_name("prometheus")}
    if stack != "dev":
        expected.add(c.slack_secret_name("prometheus"))
    assert secret_names == expected


def test_the_crd_release_is_installed_first_and_pinned(stack_run):
    _, _, run = stack_run
    crds = next(r for r in run.by_type(RELEASE) if r.inputs["name"] == c.CRDS_RELEASE_NAME)
    stack_release = next(r for r in run.by_type(RELEASE) if r.inputs["name"] == "prometheus")
    assert crds.urn in stack_release.dependencies
    assert (crds.inputs["chart"], crds.inputs["version"]) == ("prometheus-operator-crds", "31.0.1")
    assert (stack_release.inputs["chart"], stack_release.inputs["version"]) == ("kube-prometheus-stack", "88.5.3")
    assert stack_release.inputs["repositoryOpts"]["repo"] == c.CHART_REPOSITORY
    assert stack_release.inputs["values"]["crds"] == {"enabled": False}
    assert stack_release.inputs["skipCrds"] is True
    # the Secrets the values name exist before the release that mounts them
    secret_urns = {r.urn for r in run.by_type(SECRET)}
    assert secret_urns <= set(stack_release.dependencies)


def test_prod_stacks_protect_namespace_releases_and_storage_and_dev_protects_nothing(stack_run):
    stack, _, run = stack_run
    crds = next(r for r in run.by_type(RELEASE) if r.inputs["name"] == c.CRDS_RELEASE_NAME)
    # Its Prometheus and Grafana volumes go with the kube-prometheus-stack release.
    stack_release = next(r for r in run.by_type(RELEASE) if r.inputs["name"] == "prometheus")
    protected = {r.type for r in run.registrations if r.protect}
    if stack == "dev":
        assert protected == set()
        assert run.by_type(STORAGE_CLASS) == []
    else:
        assert run.one(NAMESPACE).protect and crds.protect and stack_release.protect
        sc = run.one(STORAGE_CLASS)
        assert sc.protect
        assert (sc.inputs["reclaimPolicy"], sc.inputs["allowVolumeExpansion"]) == ("Retain", True)
        assert sc.inputs["metadata"]["name"] == "fast-ssd"


def test_secret_values_travel_only_as_pulumi_secrets(stack_run):
    stack, with_password, run = stack_run
    for secret in run.by_type(SECRET):
        assert is_secret(secret.raw_inputs["stringData"]), secret.name
    grafana = next(s for s in run.by_type(SECRET)
                   if s.inputs["metadata"]["name"] == c.grafana_admin_secret_name("prometheus"))
    password = grafana.inputs["stringData"][c.GRAFANA_ADMIN_PASSWORD_KEY]
    assert password == (GRAFANA_PASSWORD if with_password else GENERATED_PASSWORD)
    if stack != "dev":
        slack = next(s for s in run.by_type(SECRET)
                     if s.inputs["metadata"]["name"] == c.slack_secret_name("prometheus"))
        assert slack.inputs["stringData"][c.SLACK_WEBHOOK_KEY] == SLACK_WEBHOOK


def test_no_secret_literal_appears_in_any_registered_input_or_export(stack_run):
    _, _, run = stack_run
    visible = json.dumps([without_secrets(r.raw_inputs) for r in run.registrations]) + json.dumps(run.outputs)
    for literal in (SLACK_WEBHOOK, GRAFANA_PASSWORD, GENERATED_PASSWORD, "changeme"):
        assert literal not in visible


def test_exports_name_what_operators_need(stack_run):
    stack, _, run = stack_run
    config = stack_config(stack)
    assert run.outputs["namespace"] == "monitoring"
    assert run.outputs["releaseName"] == "prometheus"
    assert run.outputs["cluster"] == config["cluster"]
    assert run.outputs["grafanaAdminSecretName"] == c.grafana_admin_secret_name("prometheus")
    assert run.outputs["prometheusUrl"] == "http://prometheus-kube-prometheus-prometheus.monitoring.svc:9090"
    assert not any(run.secret_outputs.values())


def test_prod_us_east_1_release_carries_the_guides_settings():
    run = run_program("prod-us-east-1", stack_config("prod-us-east-1"), {c.SECRET_SLACK_WEBHOOK: SLACK_WEBHOOK})
    release = next(r for r in run.by_type(RELEASE) if r.inputs["name"] == "prometheus")
    spec = release.inputs["values"]["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("30d", "50GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim == {"storageClassName": "fast-ssd", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "100Gi"}}}
    assert spec["externalLabels"] == {"cluster": "prod-us-east-1", "region": "us-east-1"}
    assert "exemplar-storage" in spec["enableFeatures"]
    assert spec["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert (spec["scrapeInterval"], spec["evaluationInterval"]) == ("30s", "30s")
    grafana = release.inputs["values"]["grafana"]
    assert grafana["admin"]["existingSecret"] == c.grafana_admin_secret_name("prometheus")
    assert "adminPassword" not in grafana and grafana["persistence"]["size"] == "10Gi"
    assert release.inputs["values"]["crds"] == {"enabled": False}


@pytest.mark.parametrize("override, message", [
    ({"retention": "30 days"}, "retention: expected a duration like 30d, got '30 days'"),
    ({"retentoin": "7d"}, "retentoin: unknown setting (did you mean 'retention'?)"),
])
def test_a_bad_setting_stops_the_program_before_anything_is_registered(override, message):
    config = {**stack_config("prod-us-east-1"), **override}
    run = Run()
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", config, {c.SECRET_SLACK_WEBHOOK: SLACK_WEBHOOK}, run=run)
    assert str(err.value) == message
    assert run.registrations == []


def test_a_missing_slack_webhook_secret_stops_a_prod_stack_before_anything_is_registered():
    run = Run()
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-west-2", stack_config("prod-us-west-2"), {}, run=run)
    assert str(err.value).startswith("slackWebhookUrl: required secret is not set")
    assert run.registrations == []


def test_a_secret_set_in_plain_text_is_refused_before_anything_is_registered():
    run = Run()
    config = {**stack_config("prod-us-east-1"), c.SECRET_SLACK_WEBHOOK: SLACK_WEBHOOK}
    with pytest.raises(SettingsError) as err:
        run_program("prod-us-east-1", config, {}, run=run)
    assert str(err.value) == (
        "slackWebhookUrl: is a secret: set it with `pulumi config set --secret`, not in plain text")
    assert run.registrations == []
