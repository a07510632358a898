"""StackSettings: defaults, the stack files, and one clear error per bad input."""

import pytest
import yaml

from monitoring import conventions as c
import dataclasses
import typing

from monitoring.settings import (
    SPECS, AccessMode, FeatureFlag, ReclaimPolicy, Role, SettingsError, StackSettings, load_settings,
    project_config_block, readme_table,
)
from monitoring.stacks import PROJECT_ROOT, load_stack, read_stack_config, stack_names

REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}


def settings(**overrides):
    return load_settings("test", {**REGIONAL, **overrides})


def test_defaults_are_the_guides_production_figures():
    s = settings()
    assert s.role is Role.REGIONAL
    assert (s.namespace, s.release_name) == ("monitoring", "prometheus")
    assert (s.charts.kube_prometheus_stack, s.charts.prometheus_operator_crds) == ("88.5.3", "31.0.1")
    p = s.prometheus
    assert (p.retention, p.retention_size, p.scrape_interval, p.evaluation_interval) == ("30d", "50GB", "30s", "30s")
    assert (p.resources.memory_request, p.resources.cpu_request) == ("2Gi", "1")
    assert (p.resources.memory_limit, p.resources.cpu_limit) == ("4Gi", "2")
    assert p.enable_features == (FeatureFlag.EXEMPLAR_STORAGE, FeatureFlag.MEMORY_SNAPSHOT_ON_SHUTDOWN)
    assert p.drop_metrics == ("go_memstats_.*",)
    st = s.storage
    assert (st.class_name, st.size, st.access_modes) == ("fast-ssd", "100Gi", (AccessMode.READ_WRITE_ONCE,))
    assert st.reclaim_policy is ReclaimPolicy.RETAIN and st.allow_volume_expansion and st.create_class
    assert (s.grafana.enabled, s.grafana.persistence_size) == (True, "10Gi")
    am = s.alertmanager
    assert am.group_by == ("alertname", "namespace")
    assert (am.group_wait, am.group_interval, am.repeat_interval, am.resolve_timeout) == ("10s", "10s", "12h", "5m")
    assert am.slack_channel == "#alerts"
    assert s.external_labels == {"cluster": "prod-us-east-1", "region": "us-east-1"}
    assert s.remote_write == () and s.protect is False


def test_engine_strings_are_parsed_like_typed_yaml_values():
    typed = settings(prometheusReplicas=2, protect=True, storageAccessModes=["ReadWriteOnce"],
                     externalLabels={"team": "mesh"})
    from_engine = settings(prometheusReplicas="2", protect="true", storageAccessModes='["ReadWriteOnce"]',
                           externalLabels='{"team": "mesh"}')
    assert typed == from_engine
    assert typed.prometheus.replicas == 2 and typed.external_labels["team"] == "mesh"


def test_keys_of_other_namespaces_are_ignored_and_the_project_prefix_is_accepted():
    s = load_settings("x", {"kubernetes:context": "kind", "mcp-mesh-monitoring:retention": "7d", **REGIONAL})
    assert s.prometheus.retention == "7d"


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_file_loads(stack):
    s = load_stack(stack)
    assert s.stack == stack
    assert s.external_labels[c.LABEL_CLUSTER] == s.cluster


def test_the_five_stacks_exist_and_say_only_what_differs():
    assert stack_names() == ["dev", "prod", "prod-eu-west-1", "prod-us-east-1", "prod-us-west-2"]
    defaults = {spec.key: spec.default for spec in SPECS}
    for stack in stack_names():
        plain, _ = read_stack_config(stack)
        repeated = {k: v for k, v in plain.items() if defaults.get(k) == v}
        assert not repeated, f"{stack} repeats defaults: {repeated}"


def test_stack_roles_and_protection():
    dev, glob, east = load_stack("dev"), load_stack("prod"), load_stack("prod-us-east-1")
    assert dev.role is Role.DEV and not dev.protect and not dev.storage.create_class
    assert dev.storage.class_name == "" and dev.remote_write == () and not dev.slack_enabled
    assert glob.role is Role.GLOBAL and glob.protect
    assert east.role is Role.REGIONAL and east.protect
    assert (east.cluster, east.region) == ("prod-us-east-1", "us-east-1")


def test_pulumi_yaml_declares_every_setting_with_its_type_and_default():
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == c.PROJECT_NAME
    assert project["runtime"]["name"] == "python"
    assert project["config"] == project_config_block()
    for spec in SPECS:
        if spec.secret:
            continue
        entry = project["config"][spec.key]
        declared = entry.get("default", entry.get("value"))
        assert declared == (list(spec.default) if isinstance(spec.default, tuple) else spec.default)


def test_the_readme_settings_table_is_generated_from_the_declaration():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert readme_table() in readme
    for spec in SPECS:
        assert f"| `{spec.key}` |" in readme_table()


def _leaf_fields(cls, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]) and hints[f.name].__module__ == cls.__module__:
            yield from _leaf_fields(hints[f.name], f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}"


def test_each_field_of_the_settings_is_the_target_of_exactly_one_setting():
    targets = [spec.target for spec in SPECS if spec.target is not None]
    assert len(targets) == len(set(targets))
    # Filled by the loader, not by a setting of their own.
    assert set(_leaf_fields(StackSettings)) - set(targets) == {"stack", "secrets_set"}
    assert set(targets) <= set(_leaf_fields(StackSettings))
    assert all(spec.target is None for spec in SPECS if spec.secret)


def test_stack_files_hold_no_plain_secret():
    for stack in stack_names():
        plain, _ = read_stack_config(stack)
        assert not {k for k in plain if k in (c.SECRET_GRAFANA_ADMIN_PASSWORD, c.SECRET_SLACK_WEBHOOK,
                                              c.SECRET_REMOTE_WRITE_CREDENTIALS)}


BAD_INPUTS = [
    ({"retention": "30 days"}, "retention: expected a duration like 30d, got '30 days'"),
    ({"retention": "0d"}, "retention: expected a duration like 30d, got '0d'"),
    ({"retentionSize": "50 gigs"}, "retentionSize: expected a size like 50GB, got '50 gigs'"),
    ({"retentionSize": "0GB"}, "retentionSize: expected a size like 50GB, got '0GB'"),
    ({"storageSize": "-100Gi"}, "storageSize: expected a positive quantity like 100Gi, got '-100Gi'"),
    ({"storageSize": "0"}, "storageSize: expected a positive quantity like 100Gi, got '0'"),
    ({"prometheusMemoryLimit": "1Gi"},
     "prometheusMemoryLimit: must not be below prometheusMemoryRequest (2Gi), got '1Gi'"),
    ({"prometheusCpuLimit": "500m"}, "prometheusCpuLimit: must not be below prometheusCpuRequest (1), got '500m'"),
    ({"retentoin": "30d"}, "retentoin: unknown setting (did you mean 'retention'?)"),
    ({"remoteWrite": [{"name": "mimir", "url": "ftp://store.example.com/write"}]},
     "remoteWrite[0].url: expected an http:// or https:// URL, got 'ftp://store.example.com/write'"),
    ({"remoteWrite": [{"name": "mimir", "url": "https://m.example.com/api/v1/push", "tenat": "a"}]},
     "remoteWrite[0].tenat: unknown setting (did you mean 'remoteWrite[0].tenant'?)"),
    ({"remoteWrite": [{"name": "m", "url": "https://m.example.com", "queue": {"maxShards": 0}}]},
     "remoteWrite[0].queue.maxShards: expected an integer from 1 to 1000 (each shard is a connection to the "
     "receiver), got 0"),
    ({"remoteWrite": [{"name": "m", "url": "https://m.example.com", "queue": {"minShards": 40}}]},
     "remoteWrite[0].queue.minShards: must not exceed maxShards (30), got 40"),
    ({"cluster": ""}, "cluster: required for a regional stack, got ''"),
    ({"region": ""}, "region: required for a regional stack, got ''"),
    ({"prometheusReplicas": 0},
     "prometheusReplicas: expected an integer from 1 to 10 (each replica is a full copy that scrapes every target), "
     "got 0"),
    ({"prometheusReplicas": "two"}, "prometheusReplicas: expected an integer, got 'two'"),
    ({"protect": "yes"}, "protect: expected true or false, got 'yes'"),
    ({"storageReclaimPolicy": "Keep"}, "storageReclaimPolicy: expected one of Retain, Delete, got 'Keep'"),
    ({"enableFeatures": ["exemplar-storage", "time-travel"]},
     "enableFeatures: expected one of exemplar-storage, memory-snapshot-on-shutdown, got 'time-travel'"),
    ({"role": "staging"}, "role: expected one of dev, regional, global, got 'staging'"),
    ({"dropMetrics": ["go_(memstats"]},
     "dropMetrics: invalid regular expression 'go_(memstats': missing ): go_(memstats "
     "(Prometheus uses RE2: no lookarounds or backreferences)"),
    ({"grafanaAdminPassword": "changeme"},
     "grafanaAdminPassword: is a secret: set it with `pulumi config set --secret`, not in plain text"),
    ({"externalLabels": {"cluster": "other"}}, "externalLabels.cluster: is set from the 'cluster' setting; remove it here"),
    ({"scrapeInterval": "30"}, "scrapeInterval: expected a duration like 30d, got '30'"),
    ({"kubePrometheusStackVersion": "latest"}, "kubePrometheusStackVersion: expected a chart version like 1.2.3, got 'latest'"),
    ({"storageCreateClass": True, "storageClassName": ""},
     "storageClassName: required when storageCreateClass is true, got ''"),
    ({"namespace": "Monitoring"}, "namespace: expected a DNS label (lower-case letters, digits and '-'), got 'Monitoring'"),
]


@pytest.mark.parametrize("overrides, message", BAD_INPUTS, ids=[m.split(":")[0] for _, m in BAD_INPUTS])
def test_a_bad_setting_fails_with_the_key_the_value_and_what_was_expected(overrides, message):
    with pytest.raises(SettingsError) as err:
        settings(**overrides)
    assert str(err.value) == message


def test_a_missing_required_secret_is_reported_when_secrets_are_checked():
    with pytest.raises(SettingsError) as err:
        load_settings("x", REGIONAL, frozenset(), check_secrets=True)
    assert str(err.value) == (
        "slackWebhookUrl: required secret is not set: pulumi config set --secret slackWebhookUrl ...")
    ok = load_settings("x", REGIONAL, frozenset({c.SECRET_SLACK_WEBHOOK}), check_secrets=True)
    assert ok.slack_enabled


def test_remote_write_targets_take_the_guides_queue_config_by_default():
    s = settings(remoteWrite=[{"name": "mimir", "url": "https://mimir.example.com/api/v1/push",
                               "tenant": "mesh", "basicAuth": True}])
    (target,) = s.remote_write
    q = target.queue
    assert (q.capacity, q.max_shards, q.min_shards, q.max_samples_per_send) == (10000, 30, 1, 5000)
    assert (q.batch_send_deadline, q.min_backoff, q.max_backoff, target.remote_timeout) == ("5s", "30ms", "100ms", "30s")
    assert target.keep == "mcp_mesh:.*" and target.tenant == "mesh" and target.basic_auth
    with pytest.raises(SettingsError) as err:
        load_settings("x", {**REGIONAL, "slackChannel": "", "remoteWrite": [
            {"name": "mimir", "url": "https://mimir.example.com", "basicAuth": True}]}, frozenset(), check_secrets=True)
    assert str(err.value).startswith("remoteWriteCredentials: required secret is not set")
