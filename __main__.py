"""Pulumi program: stack config -> settings -> plan -> components -> exports."""

import pulumi

from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from components.stack_references import StackReferenceSources
from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.settings import SECRET_KEYS, load_settings, own_key, parse_secrets


def project_config() -> tuple[dict, dict]:
    """Every config value of this project's namespace: the plain ones, and the secret ones.

    The engine hands values as strings (objects JSON-encoded); the settings
    loader parses them. Secret values stay apart: the settings see only their
    keys, and :func:`parse_secrets` checks them without ever showing them.
    """
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    plain, secrets = {}, {}
    for full_key, value in raw.items():
        key = own_key(full_key)
        if key is None:
            continue
        if key in SECRET_KEYS and pulumi.runtime.is_config_secret(full_key):
            secrets[key] = value
        else:
            # A secret set in plain text lands here too, and the settings loader refuses it.
            plain[key] = value
    return plain, secrets


def main() -> None:
    plain, secret_values = project_config()
    # Everything is checked, secrets included, before the first resource is registered.
    settings = load_settings(pulumi.get_stack(), plain, frozenset(secret_values), check_secrets=True)
    secrets = {key: pulumi.Output.secret(value) for key, value in parse_secrets(settings, secret_values).items()}

    plan = build_plan(settings, StackReferenceSources())
    stack = MonitoringStack(settings.stack, MonitoringStackArgs(plan, secrets))

    pulumi.export("namespace", stack.namespace.metadata["name"])
    pulumi.export("releaseName", stack.release_name)
    pulumi.export(c.OUTPUT_CLUSTER, settings.cluster)
    pulumi.export(c.OUTPUT_REGION, settings.region)
    pulumi.export("grafanaAdminSecretName", stack.grafana_admin_secret_name)
    pulumi.export("prometheusUrl", stack.prometheus_url)
    # What a federating stack reads to federate this one (only stacks whose role is federated export it).
    if stack.federation_endpoint is not None:
        pulumi.export(c.OUTPUT_FEDERATION_ENDPOINT, stack.federation_endpoint)
        pulumi.export(c.OUTPUT_FEDERATION_SCHEME, stack.federation_scheme)
        pulumi.export(c.OUTPUT_FEDERATION_AUTH_SECRET_NAME, stack.federation_auth_secret_name)


main()
