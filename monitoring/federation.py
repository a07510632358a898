"""Multi-region federation: how regional Prometheus servers are reached, and
the global stack's federation job.

Only a stack whose role is federated (``regional``) exposes its Prometheus and
exports an endpoint; a ``dev`` or ``global`` stack exports none. A regional
stack is reached in one of three ways (setting ``federationExposure``):

- ``internal-lb`` (default): a LoadBalancer Service marked internal for the
  cluster's provider and open only to ``federationSourceRanges`` (by default
  the RFC 1918 ranges). The stack exports the address the cloud gave the
  balancer (its status), so the global stack federates what really exists;
- ``ingress``: an HTTPS Ingress behind basic auth (never anonymous), with its
  certificate from an existing Secret or from a cert-manager ClusterIssuer;
- ``service-name``: ``federationHost``, a name the operator makes resolve from
  the global cluster (a multi-cluster DNS or service mesh); nothing is created.
  A bare name such as the guide's ``prometheus-us-east-1`` would resolve to a
  Service of the global cluster's own namespace, so it is refused.

The global stack reads each regional stack's exports (cluster, region,
endpoint, scheme) and federates them with one typed ScrapeConfig.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Protocol

from monitoring import conventions as c
from monitoring.objects import Ingress, IngressPath, Service, ServicePort
from monitoring.resources import (
    CustomResource, Metadata, PrometheusRule, RecordingRule, RelabelAction, RelabelConfig, RuleGroup,
    alert, basic_auth_reference,
)
from monitoring.rules import recording_rule_names
from monitoring.scrape import ScrapeConfig, StaticConfig
from monitoring.settings import ClusterFlavour, Exposure, FederationTarget, StackSettings

# The operator labels every sample of a replica with its pod name under this
# label (prometheusSpec.replicaExternalLabelName's default).
REPLICA_LABEL = "prometheus_replica"
SOURCE_CLUSTER_LABEL = "source_cluster"
SCHEME_LABEL = "__scheme__"
HTTPS_PORT = 443
INGRESS_CLASS = "nginx"
# Label key/value by which the exposure Service selects the stack's Prometheus pods.
PROMETHEUS_POD_SELECTOR = {"app.kubernetes.io/name": "prometheus"}
# What marks a LoadBalancer Service internal (an address in the cluster's
# private network, never a public one), per provider. A self-managed cluster's
# load balancer implementation (MetalLB, kube-vip, ...) hands out addresses
# from the pools its operator configured; no annotation is standard there.
INTERNAL_LB_ANNOTATIONS: dict[ClusterFlavour, dict[str, str]] = {
    # AWS load balancer controller, and the provider's own service controller.
    ClusterFlavour.EKS: {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                         "service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
    ClusterFlavour.GKE: {"networking.gke.io/load-balancer-type": "Internal"},
    ClusterFlavour.AKS: {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
    ClusterFlavour.SELF_MANAGED: {},
}
# cert-manager's ingress-shim issues the Ingress's TLS Secret from this issuer.
CERT_MANAGER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


@dataclass(frozen=True)
class FederationEndpoint:
    """What a regional stack exports for the global stack."""

    endpoint: str | None  # host:port; None until the load balancer exists
    scheme: str
    auth_secret_name: str  # "" when the endpoint needs no credentials
    # When ``endpoint`` is None: the LoadBalancer Service whose address it is.
    load_balancer: str | None = None


def exposure_service_name(settings: StackSettings) -> str:
    return f"{settings.release_name}-federation"


def federation_tls_secret_name(settings: StackSettings) -> str:
    """The Ingress's TLS Secret: the operator's own, or the one cert-manager issues."""
    return settings.federation.tls_secret or f"{settings.release_name}-federation-tls"


def htpasswd_secret_name(settings: StackSettings) -> str:
    return f"{settings.release_name}-federation-htpasswd"


def federation_ca_secret_name(settings: StackSettings) -> str:
    """The Secret holding the CA the global Prometheus trusts for https regions."""
    return f"{settings.release_name}-federation-ca"


def federation_auth_secret_name(settings: StackSettings) -> str:
    """The Secret holding the credentials a federator presents (global side)."""
    return f"{settings.release_name}-federation-auth"


def htpasswd_line(username: str, password: str) -> str:
    """An htpasswd entry ({SHA} scheme, which ingress-nginx's basic auth accepts)."""
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{username}:{{SHA}}{digest}"


def regional_endpoint(settings: StackSettings) -> FederationEndpoint | None:
    """What this stack exports for a federating stack; None where its role is not federated."""
    if not settings.profile.federated:
        return None
    fed = settings.federation
    if fed.exposure is Exposure.INGRESS:
        return FederationEndpoint(f"{fed.host}:{HTTPS_PORT}", "https", htpasswd_secret_name(settings))
    if fed.exposure is Exposure.INTERNAL_LB:
        return FederationEndpoint(None, "http", "", load_balancer=exposure_service_name(settings))
    return FederationEndpoint(f"{fed.host}:{fed.port}", "http", "")


def exposure_objects(settings: StackSettings) -> tuple[Service | Ingress, ...]:
    """The Service or Ingress that exposes a regional Prometheus, if any."""
    if not settings.profile.federated:
        return ()
    fed = settings.federation
    name, namespace = exposure_service_name(settings), settings.namespace
    backend_service = c.prometheus_service_name(settings.release_name)
    if fed.exposure is Exposure.INTERNAL_LB:
        return (Service(
            metadata=Metadata(name, namespace, annotations=INTERNAL_LB_ANNOTATIONS[settings.cluster_flavour]),
            type="LoadBalancer",
            load_balancer_source_ranges=fed.source_ranges,
            selector={**PROMETHEUS_POD_SELECTOR, "operator.prometheus.io/name": backend_service},
            ports=(ServicePort("http-web", fed.port, c.PROMETHEUS_PORT),),
        ),)
    if fed.exposure is Exposure.INGRESS:
        issuer = {CERT_MANAGER_ISSUER_ANNOTATION: fed.cert_issuer} if fed.cert_issuer else {}
        return (Ingress(
            metadata=Metadata(name, namespace, annotations={
                "nginx.ingress.kubernetes.io/auth-type": "basic",
                "nginx.ingress.kubernetes.io/auth-secret": htpasswd_secret_name(settings),
                "nginx.ingress.kubernetes.io/auth-realm": "federation",
                **issuer,
            }),
            ingress_class=INGRESS_CLASS,
            host=fed.host,
            tls_secret=federation_tls_secret_name(settings),
            paths=(IngressPath("/federate", "Exact", backend_service, c.PROMETHEUS_PORT),),
        ),)
    return ()


# --------------------------------------------------------------------------
# The global side
# --------------------------------------------------------------------------

# The records the global stack reads: its dashboard (regions side by side,
# targets answering per region) and its alerts. The other per-agent records
# (connections, the SLO indicators: the availability SLI is 1 - the error
# ratio, see rules.slo_availability) stay in the region and reach the
# long-term store by remote write. Per-pod `up` stays too: the per-agent
# count of targets by `up` value answers the global questions, and the
# alerts that need the pod (PrometheusTargetDown, MCPMeshAgentEmptyScrape)
# are evaluated in the region.
GLOBAL_RECORDS = (
    c.RECORD_REQUEST_RATE, c.RECORD_ERROR_RATE, c.RECORD_REQUEST_DURATION_P95,
    c.RECORD_REGISTRY_HEALTH_SCORE, c.RECORD_TARGETS_BY_UP,
)
BUILD_INFO = "prometheus_build_info"


def federated_records(settings: StackSettings) -> list[str]:
    """The records a federating stack fetches: those the global stack reads,
    where the regional stacks record them, and every ``customRules`` record."""
    custom = {r.record for r in settings.rules.custom if isinstance(r, RecordingRule)}
    return [name for name in recording_rule_names(settings) if name in GLOBAL_RECORDS or name in custom]


def match_selectors(records: Iterable[str]) -> tuple[str, ...]:
    """``match[]`` of the federation job: ``records`` and ``prometheus_build_info``.

    Only recorded series (a few per agent, whatever its pods, methods and
    buckets) and one series per Prometheus: the bytes of a fetch grow with
    the agents alone.
    """
    return (*sorted(set(records)), BUILD_INFO)


class FederationSources(Protocol):
    """Where a federating stack learns what each stack it federates exports.

    Two back ends: the stack files, offline (``monitoring.stacks.StackFileSources``),
    and stack references under Pulumi (``components.stack_references``). What
    :meth:`exports` returns may be known only later; the back end alone knows
    how to wait for it.
    """

    def exports(self, stack: str) -> Any:
        """The :class:`FederationTarget` ``stack`` exports (or a deferred one)."""

    def combine(self, exported: list[Any], metadata: Metadata, kind: type[CustomResource],
                build: Callable[[list[FederationTarget]], CustomResource]) -> CustomResource:
        """``build`` over the exported targets: the resource itself when they are
        known now, else a resource of ``kind`` named by ``metadata`` built later."""


def federation_job(settings: StackSettings, sources: FederationSources) -> CustomResource:
    """The global stack's federation job: the one path for both back ends.

    Its targets are the explicit ``federationTargets`` and what each stack of
    ``federationStacks`` exports, each read once.
    """
    exported = [sources.exports(stack) for stack in settings.federation.stacks]
    return sources.combine(
        exported, federation_job_metadata(settings), ScrapeConfig,
        lambda targets: federation_scrape_config(settings, [*settings.federation.targets, *targets]))


def federation_job_metadata(settings: StackSettings) -> Metadata:
    return Metadata(c.JOB_FEDERATE, settings.namespace, c.selector_labels(settings.release_name))


def federation_scrape_config(settings: StackSettings, sources: Iterable[FederationTarget]) -> ScrapeConfig:
    """The global stack's ``/federate`` job over every regional source.

    ``honor_labels`` keeps each region's own ``cluster`` and ``region`` external
    labels. ``source_cluster`` names the Prometheus a series came through (the
    guide's relabeling, set here per target rather than parsed out of the
    address, so it works for any endpoint). A regional Prometheus with several
    replicas is reached through one Service that answers from either replica;
    each replica adds its own ``prometheus_replica`` label, so the same series
    would arrive twice under two label sets and every global ``sum`` would
    count it twice. Dropping that label merges them back into one series.
    """
    static = tuple(
        StaticConfig(targets=(s.endpoint,), labels={
            SOURCE_CLUSTER_LABEL: s.cluster,
            # The region's own identity on the job's `up` series, so alerts
            # about a region name it (an alert's own labels win over the
            # global server's external labels). Federated series carry the
            # same values already (the region's external labels, honored).
            c.LABEL_CLUSTER: s.cluster,
            c.LABEL_REGION: s.region,
            **({SCHEME_LABEL: s.scheme} if s.scheme != "http" else {}),
        })
        for s in sorted(sources, key=lambda s: s.cluster)
    )
    basic_auth = None
    if c.SECRET_FEDERATION_BASIC_AUTH in settings.secrets_set:
        basic_auth = basic_auth_reference(federation_auth_secret_name(settings))
    tls_config = None
    if c.SECRET_FEDERATION_CA in settings.secrets_set:
        tls_config = {"ca": {"secret": {"name": federation_ca_secret_name(settings), "key": c.FEDERATION_CA_KEY}}}
    return ScrapeConfig(
        metadata=federation_job_metadata(settings),
        job_name=c.JOB_FEDERATE,
        static_configs=static,
        metrics_path="/federate",
        # The records the global stack reads, of those a regional stack
        # defines with these settings (derived from the rule builders).
        params={"match[]": match_selectors(federated_records(settings))},
        # The regional records change once per evaluation; federationInterval
        # is never shorter (a shorter one would fetch the same values again).
        scrape_interval=settings.federation.interval,
        honor_labels=True,
        basic_auth=basic_auth,
        tls_config=tls_config,
        metric_relabelings=(
            RelabelConfig("drop the replica label", action=RelabelAction.LABELDROP, regex=REPLICA_LABEL),
        ),
    )


def expected_source_count(settings: StackSettings) -> int:
    """How many Prometheus servers the global stack should federate."""
    return len(settings.federation.stacks) + len(settings.federation.targets)


def federation_rules(settings: StackSettings) -> PrometheusRule:
    """Alerts of the global stack about the regions it federates.

    The region alerts carry the region's ``cluster`` and ``region`` (target
    labels of the federation job), never the global server's. A region whose
    agents stopped reporting is told apart from one that sends only its
    registry health score (always recorded) by the per-agent request rate.
    A global stack that federates nothing at all (the job not picked up, its
    targets gone) has no ``up{job="federate"}`` for the other two to read;
    the count against the configured sources catches it.
    """
    up = f'up{{job="{c.JOB_FEDERATE}"}}'
    region = (SOURCE_CLUSTER_LABEL, c.LABEL_CLUSTER, c.LABEL_REGION)
    expected = expected_source_count(settings)
    rules = (
        alert(
            c.ALERT_REGION_NOT_FEDERATING, f"{up} == 0", "5m", c.SEVERITY_CRITICAL,
            "A region is not federating",
            "The global Prometheus cannot scrape /federate of {{ $labels.cluster }} in {{ $labels.region }} "
            "({{ $labels.instance }}) for 5 minutes: that region's aggregates are missing from global views "
            "and alerts."),
        alert(
            c.ALERT_REGION_AGGREGATES_STALE,
            # Federation answers, but no agent of that region has a request rate.
            (f"group by ({', '.join(region)}, instance) ({up} == 1)\n"
             f"unless on ({SOURCE_CLUSTER_LABEL})\n"
             f"group by ({SOURCE_CLUSTER_LABEL}) ({c.RECORD_REQUEST_RATE})"),
            "10m", c.SEVERITY_WARNING,
            "A region's agent aggregates are stale",
            "{{ $labels.cluster }} in {{ $labels.region }} answers /federate but has sent no "
            f"{c.RECORD_REQUEST_RATE} series for 10 minutes: its agents stopped reporting (scrapes, "
            "discovery or the agents themselves) or its recording rules stopped."),
        alert(
            c.ALERT_FEDERATION_TARGETS_MISSING,
            f"(count({up}) or vector(0)) < {max(expected, 1)}",
            "5m", c.SEVERITY_CRITICAL,
            "The global Prometheus federates fewer regions than configured",
            f"The federation job has {{{{ $value }}}} targets, {expected} expected, for 5 minutes: "
            "the ScrapeConfig was not picked up or lost targets, so global views and region alerts "
            "are blind for the missing regions."),
    )
    return PrometheusRule(
        Metadata(c.rule_cr_name(c.GROUP_FEDERATION), settings.namespace, c.selector_labels(settings.release_name)),
        (RuleGroup(c.GROUP_FEDERATION, rules, interval=settings.prometheus.evaluation_interval),),
    )


