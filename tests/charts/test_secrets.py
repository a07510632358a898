"""Every Secret a rendered object reads exists, with the keys it reads.

A pod whose Secret or key is missing never starts (``CreateContainerConfigError``
or a volume that never mounts), and Helm's atomic install then rolls the whole
release back. The Secrets the Helm values name are the program's to create,
from Pulumi config secrets; the chart creates its own (Alertmanager's
configuration, the admission webhook's certificate through its hook Job).
"""

from __future__ import annotations

from monitoring import conventions as c
from tests.charts.secrets import (
    CERTGEN_KEYS, SecretRead, certgen_secrets, mounted_file_reads, secret_data, secret_reads,
)

CUSTOM_GROUP = "monitoring.coreos.com/"


def reads_of(stack) -> list[SecretRead]:
    objects = stack.objects()
    secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
    out = []
    for obj in objects:
        if obj["kind"] == "CustomResourceDefinition":
            continue
        out += secret_reads(obj, custom=obj["apiVersion"].startswith(CUSTOM_GROUP))
        out += mounted_file_reads(obj, secrets)
    return out


def test_every_secret_read_exists_with_the_keys_read(stack):
    assert missing_reads(stack) == []


def test_every_secret_the_program_creates_is_read_by_something(stack):
    read = {r.secret for r in reads_of(stack)}
    assert {s.name for s in stack.plan.secrets} - read == set()


def missing_reads(stack, program_secrets: dict[str, set[str]] | None = None) -> list[SecretRead]:
    chart_secrets = {o["metadata"]["name"]: set(secret_data(o))
                     for r in stack.releases.values() for o in r if o["kind"] == "Secret"}
    if program_secrets is None:
        program_secrets = {s.name: set(s.data) for s in stack.plan.secrets}
    hook_created = certgen_secrets(stack.releases["kube-prometheus-stack"])
    missing = []
    for read in reads_of(stack):
        if read.secret in hook_created:
            ok = read.key is None or read.key in CERTGEN_KEYS
        else:
            keys = program_secrets.get(read.secret, chart_secrets.get(read.secret))
            ok = keys is not None and (read.key is None or read.key in keys)
        if not ok:
            missing.append(read)
    return missing


def test_the_secrets_named_in_the_values_are_the_programs(stack):
    # Grafana's admin Secret, the Slack webhook, remote-write credentials:
    # read by the chart's objects, created by the program, never by the chart.
    chart_created = {o["metadata"]["name"] for r in stack.releases.values() for o in r if o["kind"] == "Secret"}
    program = {s.name for s in stack.plan.secrets}
    assert program & chart_created == set()
    settings = stack.plan.settings
    reads = {(r.secret, r.key) for r in reads_of(stack)}
    admin = c.grafana_admin_secret_name(settings.release_name)
    assert (admin, c.GRAFANA_ADMIN_USER_KEY) in reads and (admin, c.GRAFANA_ADMIN_PASSWORD_KEY) in reads
    if settings.slack_enabled:
        assert (c.slack_secret_name(settings.release_name), c.SLACK_WEBHOOK_KEY) in reads
    for target in settings.remote_write:
        if target.basic_auth:
            assert (c.remote_write_secret_name(settings.release_name, target.name), c.REMOTE_WRITE_PASSWORD_KEY) in reads


def test_a_missing_key_or_secret_is_found(stack):
    program = {s.name: set(s.data) for s in stack.plan.secrets}
    admin = c.grafana_admin_secret_name(stack.plan.settings.release_name)
    without_password = {**program, admin: program[admin] - {c.GRAFANA_ADMIN_PASSWORD_KEY}}
    assert [(r.secret, r.key) for r in missing_reads(stack, without_password)] \
        == [(admin, c.GRAFANA_ADMIN_PASSWORD_KEY)] * 4  # Grafana, its password reset and two sidecars
    without_admin = {k: v for k, v in program.items() if k != admin}
    assert {r.secret for r in missing_reads(stack, without_admin)} == {admin}
