"""Helm values of the releases a stack installs, built from its settings.

Secrets appear here only by reference (a Secret name and key, or a file path
inside the Alertmanager pod); their values never enter Helm values, Pulumi
state or the rendered files.
"""

from __future__ import annotations

from typing import Any

from monitoring import conventions as c
from monitoring.resources import basic_auth_reference
from monitoring.settings import ClusterFlavour, RemoteWriteTarget, StackSettings

# kube-prometheus-stack's scrape components for cluster services, each with the
# defaultRules switches of the rule groups that read its metrics. Turning a
# component off (``<component>.enabled``) removes its Service, ServiceMonitor,
# dashboards and rules; the rule switches are set too, so that no alert on a
# series nobody scrapes survives a chart that gates its rules differently.
COMPONENT_RULES: dict[str, tuple[str, ...]] = {
    "kubeControllerManager": ("kubeControllerManager",),
    "kubeScheduler": ("kubeSchedulerAlerting", "kubeSchedulerRecording"),
    "kubeEtcd": ("etcd",),
    "kubeProxy": ("kubeProxy",),
    "coreDns": (),
    "kubeDns": (),
}
_CONTROL_PLANE = ("kubeControllerManager", "kubeScheduler", "kubeEtcd")
# What each cluster flavour does not let a Prometheus in the cluster scrape.
# Managed control planes (EKS, GKE, AKS) run the controller manager, scheduler
# and etcd out of the cluster: their ServiceMonitors would find no endpoints,
# and KubeControllerManagerDown / KubeSchedulerDown (critical, absent(up))
# would page forever. kube-proxy's metrics listen on the node's loopback in
# the providers' default configurations (or kube-proxy is replaced by the
# provider's dataplane), so it is off too. GKE's cluster DNS is kube-dns, not
# CoreDNS.
HIDDEN_COMPONENTS: dict[ClusterFlavour, tuple[str, ...]] = {
    ClusterFlavour.SELF_MANAGED: ("kubeDns",),
    ClusterFlavour.EKS: (*_CONTROL_PLANE, "kubeProxy", "kubeDns"),
    ClusterFlavour.AKS: (*_CONTROL_PLANE, "kubeProxy", "kubeDns"),
    ClusterFlavour.GKE: (*_CONTROL_PLANE, "kubeProxy", "coreDns"),
}


def selectors(settings: StackSettings) -> dict[str, Any]:
    """The prometheusSpec selector values of the selector contract.

    Each selected kind gets an explicit label selector and a namespace
    selector limited to the monitoring namespace, so which custom resources
    the Prometheus reads does not depend on the chart's nil-selector defaults.
    """
    label_selector = {"matchLabels": c.selector_labels(settings.release_name)}
    namespace_selector = {"matchLabels": {c.NAMESPACE_NAME_LABEL: settings.namespace}}
    out: dict[str, Any] = {}
    for kind in c.SELECTED_KINDS:
        out[f"{kind}SelectorNilUsesHelmValues"] = False
        out[f"{kind}Selector"] = label_selector
        out[f"{kind}NamespaceSelector"] = namespace_selector
    return out


def _remote_write(settings: StackSettings, target: RemoteWriteTarget) -> dict[str, Any]:
    queue = target.queue
    spec: dict[str, Any] = {
        "name": target.name,
        "url": target.url,
        "remoteTimeout": target.remote_timeout,
        "queueConfig": {
            "capacity": queue.capacity,
            "maxShards": queue.max_shards,
            "minShards": queue.min_shards,
            "maxSamplesPerSend": queue.max_samples_per_send,
            "batchSendDeadline": queue.batch_send_deadline,
            "minBackoff": queue.min_backoff,
            "maxBackoff": queue.max_backoff,
        },
        # Only aggregated series leave the cluster: raw per-pod series stay local.
        "writeRelabelConfigs": [
            {"sourceLabels": ["__name__"], "regex": target.keep, "action": "keep"},
        ],
    }
    if target.tenant:
        spec["headers"] = {c.TENANT_HEADER: target.tenant}
    if target.basic_auth:
        spec["basicAuth"] = basic_auth_reference(c.remote_write_secret_name(settings.release_name, target.name))
    return spec


def prometheus_spec(settings: StackSettings) -> dict[str, Any]:
    p = settings.prometheus
    storage = settings.storage
    claim_spec: dict[str, Any] = {
        "accessModes": [m.value for m in storage.access_modes],
        "resources": {"requests": {"storage": storage.size}},
    }
    if storage.class_name:
        claim_spec = {"storageClassName": storage.class_name, **claim_spec}
    spec: dict[str, Any] = {
        **selectors(settings),
        "retention": p.retention,
        "retentionSize": p.retention_size,
        "replicas": p.replicas,
        "resources": {
            "requests": {"cpu": p.resources.cpu_request, "memory": p.resources.memory_request},
            "limits": {"cpu": p.resources.cpu_limit, "memory": p.resources.memory_limit},
        },
        "storageSpec": {"volumeClaimTemplate": {"spec": claim_spec}},
        "scrapeInterval": settings.prometheus.scrape_interval,
        "evaluationInterval": settings.prometheus.evaluation_interval,
        "enableFeatures": [f.value for f in p.enable_features],
        "externalLabels": dict(settings.external_labels),
    }
    if settings.remote_write:
        spec["remoteWrite"] = [_remote_write(settings, t) for t in settings.remote_write]
    return spec


def _slack(settings: StackSettings, channel: str) -> dict[str, Any]:
    # The webhook URL is read from the mounted Secret at run time.
    return {"api_url_file": slack_webhook_path(settings), "channel": channel, "send_resolved": True}


def _receivers(settings: StackSettings) -> list[dict[str, Any]]:
    """The default receiver, the pages and tickets receivers, and the null one.

    Pages go to PagerDuty when ``pagerdutyPages`` is on (the routing key read
    from the mounted Secret, like the Slack webhook), else to Slack; tickets
    to Slack. A channel left empty falls back to ``slackChannel``; with no
    Slack at all (dev) a receiver has no integration and notifies nobody.
    """
    am = settings.alertmanager
    default: dict[str, Any] = {"name": c.ALERTMANAGER_DEFAULT_RECEIVER}
    pages: dict[str, Any] = {"name": c.ALERTMANAGER_PAGE_RECEIVER}
    tickets: dict[str, Any] = {"name": c.ALERTMANAGER_TICKET_RECEIVER}
    if settings.slack_enabled:
        default["slack_configs"] = [_slack(settings, am.slack_channel)]
        tickets["slack_configs"] = [_slack(settings, am.ticket_slack_channel or am.slack_channel)]
        if not settings.pagerduty_enabled:
            pages["slack_configs"] = [_slack(settings, am.page_slack_channel or am.slack_channel)]
    if settings.pagerduty_enabled:
        pages["pagerduty_configs"] = [{"routing_key_file": pagerduty_routing_key_path(settings),
                                       "send_resolved": True}]
    return [default, pages, tickets, {"name": c.ALERTMANAGER_NULL_RECEIVER}]


def _matcher(label: str, value: str) -> str:
    return f'{label} = "{value}"'


def inhibit_rules() -> list[dict[str, Any]]:
    """A critical alert inhibits the warning of the same alert about the same thing.

    "The same" is :data:`conventions.INHIBIT_EQUAL_LABELS` (name, cluster,
    namespace, agent, SLO; a label both alerts lack counts as equal), so a
    page about one agent never hides a ticket about another. The chart's
    own rules for its ``info`` alerts and InfoInhibitor are kept: these
    values replace the chart's list as a whole.
    """
    return [
        {"source_matchers": [_matcher(c.LABEL_SEVERITY, c.SEVERITY_CRITICAL)],
         "target_matchers": [_matcher(c.LABEL_SEVERITY, c.SEVERITY_WARNING)],
         "equal": list(c.INHIBIT_EQUAL_LABELS)},
        {"source_matchers": [f'{c.LABEL_SEVERITY} =~ "{c.SEVERITY_CRITICAL}|{c.SEVERITY_WARNING}"'],
         "target_matchers": [_matcher(c.LABEL_SEVERITY, "info")],
         "equal": ["namespace", "alertname"]},
        {"source_matchers": [_matcher("alertname", "InfoInhibitor")],
         "target_matchers": [_matcher(c.LABEL_SEVERITY, "info")],
         "equal": ["namespace"]},
        {"target_matchers": [_matcher("alertname", "InfoInhibitor")]},
    ]


def alertmanager_config(settings: StackSettings) -> dict[str, Any]:
    """Alertmanager's configuration file (alertmanager.yml) as a mapping.

    Routing by severity: ``critical`` alerts page, ``warning`` alerts become
    tickets, anything else goes to the default receiver.
    """
    am = settings.alertmanager
    return {
        "global": {"resolve_timeout": am.resolve_timeout},
        "route": {
            "group_by": list(am.group_by),
            "group_wait": am.group_wait,
            "group_interval": am.group_interval,
            "repeat_interval": am.repeat_interval,
            "receiver": c.ALERTMANAGER_DEFAULT_RECEIVER,
            "routes": [
                # The chart's always-firing Watchdog alert is a dead man's switch
                # for an external pager, not something to notify about.
                {"receiver": c.ALERTMANAGER_NULL_RECEIVER, "matchers": [_matcher("alertname", "Watchdog")]},
                {"receiver": c.ALERTMANAGER_PAGE_RECEIVER,
                 "matchers": [_matcher(c.LABEL_SEVERITY, c.SEVERITY_CRITICAL)]},
                {"receiver": c.ALERTMANAGER_TICKET_RECEIVER,
                 "matchers": [_matcher(c.LABEL_SEVERITY, c.SEVERITY_WARNING)]},
            ],
        },
        "inhibit_rules": inhibit_rules(),
        "receivers": _receivers(settings),
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def alertmanager_secret_names(settings: StackSettings) -> list[str]:
    """Secrets mounted into Alertmanager (under ALERTMANAGER_SECRETS_DIR/<name>/)."""
    names = []
    if settings.slack_enabled:
        names.append(c.slack_secret_name(settings.release_name))
    if settings.pagerduty_enabled:
        names.append(c.pagerduty_secret_name(settings.release_name))
    return names


def pagerduty_routing_key_path(settings: StackSettings) -> str:
    return f"{c.ALERTMANAGER_SECRETS_DIR}/{c.pagerduty_secret_name(settings.release_name)}/{c.PAGERDUTY_ROUTING_KEY_KEY}"


def slack_webhook_path(settings: StackSettings) -> str:
    return f"{c.ALERTMANAGER_SECRETS_DIR}/{c.slack_secret_name(settings.release_name)}/{c.SLACK_WEBHOOK_KEY}"


def dashboard_sidecar(settings: StackSettings) -> dict[str, Any]:
    """The Grafana sidecar that imports the dashboard ConfigMaps (see monitoring/dashboards.py).

    Written out rather than left to the chart's defaults, which search every
    namespace: it imports the ConfigMaps labelled for it from the monitoring
    namespace, into the folder each names in its folder annotation, and Grafana
    refuses edits of them in the UI (a change is a change to the code).
    """
    return {
        "enabled": True,
        "label": c.DASHBOARD_SIDECAR_LABEL,
        "labelValue": c.DASHBOARD_SIDECAR_LABEL_VALUE,
        "searchNamespace": settings.namespace,
        "folderAnnotation": c.DASHBOARD_FOLDER_ANNOTATION,
        "provider": {"allowUiUpdates": False, "foldersFromFilesStructure": True},
    }


def cluster_components(settings: StackSettings) -> dict[str, Any]:
    """Every cluster-service component on or off as the cluster flavour allows, and its default rules."""
    hidden = HIDDEN_COMPONENTS[settings.cluster_flavour]
    out: dict[str, Any] = {component: {"enabled": component not in hidden} for component in COMPONENT_RULES}
    out["defaultRules"] = {"rules": {
        rule: component not in hidden for component, rules in COMPONENT_RULES.items() for rule in rules}}
    return out


# Run before Grafana starts, in its pod: Grafana applies GF_SECURITY_ADMIN_PASSWORD
# only when it creates its database, so a password changed afterwards (a new
# grafanaAdminPassword) would reach the Secret but never the login, and the
# dashboard sidecar, which logs in with the Secret's password, would be refused.
# Resetting the admin password from the Secret at every start of a pod with an
# existing database keeps the two equal. A failed reset never blocks Grafana.
_RESET_ADMIN_PASSWORD = """\
if [ -f /var/lib/grafana/grafana.db ]; then
  printf '%s\\n' "$GF_SECURITY_ADMIN_PASSWORD" | grafana cli --homepath /usr/share/grafana \\
    --config /etc/grafana/grafana.ini admin reset-admin-password --password-from-stdin \\
    || echo "could not reset the admin password from the Secret; Grafana keeps the one it has" >&2
fi
"""


def grafana_admin_password_reset(settings: StackSettings) -> dict[str, Any]:
    """The init container that makes Grafana's admin password the Secret's at every pod start."""
    return {
        "name": "reset-admin-password",
        "image": c.GRAFANA_IMAGE,
        "command": ["/bin/sh", "-c", _RESET_ADMIN_PASSWORD],
        "env": [{"name": "GF_SECURITY_ADMIN_PASSWORD", "valueFrom": {"secretKeyRef": {
            "name": c.grafana_admin_secret_name(settings.release_name), "key": c.GRAFANA_ADMIN_PASSWORD_KEY}}}],
        # The volumes of the chart's Grafana pod: its configuration and its data.
        "volumeMounts": [{"name": "config", "mountPath": "/etc/grafana/grafana.ini", "subPath": "grafana.ini"},
                         {"name": "storage", "mountPath": "/var/lib/grafana"}],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }


def grafana_values(settings: StackSettings) -> dict[str, Any]:
    """Grafana: the admin Secret by reference, a volume that survives upgrades and destroys, the dashboards' sidecar."""
    grafana = settings.grafana
    persistence: dict[str, Any] = {
        "enabled": True,
        "size": grafana.persistence_size,
        "accessModes": ["ReadWriteOnce"],
        # Kept by Helm when the release is uninstalled (and, with the Retain
        # class of the stack, its volume too): dashboards' state, users, API keys.
        "annotations": dict(c.HELM_KEEP_ANNOTATION),
    }
    if grafana.storage_class:
        # A cluster without a default StorageClass (EKS since 1.30) would leave
        # an unnamed claim Pending, and the release's wait would roll it back.
        persistence["storageClassName"] = grafana.storage_class
    return {
        "enabled": grafana.enabled,
        "admin": {
            "existingSecret": c.grafana_admin_secret_name(settings.release_name),
            "userKey": c.GRAFANA_ADMIN_USER_KEY,
            "passwordKey": c.GRAFANA_ADMIN_PASSWORD_KEY,
        },
        "persistence": persistence,
        # A ReadWriteOnce volume attaches to one node at a time: a rolling
        # update whose new pod lands elsewhere waits on Multi-Attach forever.
        "deploymentStrategy": {"type": "Recreate"},
        "extraInitContainers": [grafana_admin_password_reset(settings)],
        "sidecar": {"dashboards": dashboard_sidecar(settings)},
    }


def kube_prometheus_stack_values(settings: StackSettings) -> dict[str, Any]:
    """Values of the kube-prometheus-stack release."""
    values: dict[str, Any] = {
        # CRDs come from their own release, which Helm upgrades (see plan.py).
        "crds": {"enabled": False},
        "prometheus": {"prometheusSpec": prometheus_spec(settings)},
        "grafana": grafana_values(settings),
        "alertmanager": {"enabled": settings.alertmanager.enabled},
        **cluster_components(settings),
    }
    if settings.alertmanager.enabled:
        values["alertmanager"]["config"] = alertmanager_config(settings)
        secrets = alertmanager_secret_names(settings)
        if secrets:
            values["alertmanager"]["alertmanagerSpec"] = {"secrets": secrets}
    return values

