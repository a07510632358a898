"""Pulumi program: stack config -> settings -> plan -> components -> exports."""

import pulumi

from components.monitoring_stack import MonitoringStack, MonitoringStackArgs
from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.settings import SECRET_KEYS, FederationTarget, StackSettings, load_settings, parse_secrets


def project_config() -> tuple[dict, dict]:
    """Every config value of this project's namespace: the plain ones, and the secret ones.

    The engine hands values as strings (objects JSON-encoded); the settings
    loader parses them. Secret values stay apart: the settings see only their
    keys, and :func:`parse_secrets` checks them without ever showing them.
    """
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    prefix = f"{c.PROJECT_NAME}:"
    plain, secrets = {}, {}
    for full_key, value in raw.items():
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        if key in SECRET_KEYS and pulumi.runtime.is_config_secret(full_key):
            secrets[key] = value
        else:
            # A secret set in plain text lands here too, and the settings loader refuses it.
            plain[key] = value
    return plain, secrets


def stack_reference_name(name: str) -> str:
    """``org/project/stack`` for a bare stack name of this project."""
    if "/" in name:
        return name
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{name}"


def federation_sources(settings: StackSettings) -> pulumi.Output:
    """The regional Prometheus servers to federate: each regional stack's exports,
    then the explicit targets for clusters this program does not manage."""
    exported = []
    for name in settings.federation.stacks:
        ref = pulumi.StackReference(stack_reference_name(name))
        exported.append(pulumi.Output.all(
            ref.require_output("cluster"), ref.require_output("region"),
            ref.require_output("federationEndpoint"), ref.require_output("federationScheme"),
        ))
    return pulumi.Output.all(*exported).apply(lambda rows: [
        *(FederationTarget(cluster, region, endpoint, scheme) for cluster, region, endpoint, scheme in rows),
        *settings.federation.targets,
    ])


def main() -> None:
    plain, secret_values = project_config()
    # Everything is checked, secrets included, before the first resource is registered.
    settings = load_settings(pulumi.get_stack(), plain, frozenset(secret_values), check_secrets=True)
    secrets = {key: pulumi.Output.secret(value) for key, value in parse_secrets(settings, secret_values).items()}

    sources = federation_sources(settings) if settings.profile.federates else None
    stack = MonitoringStack(settings.stack, MonitoringStackArgs(build_plan(settings), secrets, sources))

    pulumi.export("namespace", stack.namespace.metadata["name"])
    pulumi.export("releaseName", stack.release_name)
    pulumi.export("cluster", settings.cluster)
    pulumi.export("region", settings.region)
    pulumi.export("grafanaAdminSecretName", stack.grafana_admin_secret_name)
    pulumi.export("prometheusUrl", stack.prometheus_url)
    # What the global stack reads to federate this one.
    pulumi.export("federationEndpoint", stack.federation_endpoint)
    pulumi.export("federationScheme", stack.federation_scheme)
    pulumi.export("federationAuthSecretName", stack.federation_auth_secret_name)


main()
