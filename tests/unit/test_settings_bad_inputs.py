"""Bad settings, grouped by kind: each refused before anything exists, with its exact message.

Every message names the key, the value (a secret's masked) and what was
expected. The kinds follow the ways an operator editing a stack file gets a
value wrong: strings, regexes, bounds, settings that disagree, custom rules,
Kubernetes and network syntax, Alertmanager, value types, secrets.
"""

from __future__ import annotations

import pytest

from monitoring import conventions as c
from monitoring.settings import SettingsError, load_settings, parse_secrets

REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}
GLOBAL = {"role": "global", "cluster": "global",
          "federationTargets": [{"cluster": "a", "region": "r", "endpoint": "a.example.com:9090"}]}
RW = {"name": "mimir", "url": "https://mimir.example.com/api/v1/push"}
DNS_NAME = "a DNS name (lower-case labels of letters, digits and '-' joined by '.')"
LABEL_NAME = "a Prometheus label name (letters, digits and '_', not starting with '__')"
RE2 = "(Prometheus uses RE2: no lookarounds or backreferences)"
PRIVATE = ("a private CIDR (inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7): "
           "an internal load balancer is not opened to public addresses")
ENDPOINT = "host:port with a DNS name or IP address and a port from 1 to 65535"
PROVISIONER = "a provisioner name like ebs.csi.aws.com or kubernetes.io/aws-ebs"
INTERNAL_LB = {"federationExposure": "internal-lb"}
FROM_GLOBAL = ("a name that resolves from the global cluster (e.g. prometheus.us-east-1.example.internal; "
               "a bare or cluster-local name resolves inside the global cluster)")


def alert(**fields):
    rule = {"alert": "WeatherSlow", "expr": "up == 0", "annotations": {"summary": "s", "description": "d"}}
    return {"customRules": [{**rule, **fields}]}


def summary(template: str):
    return alert(annotations={"summary": template, "description": "d"})


def target(**fields):
    return {"remoteWrite": [{**RW, **fields}]}


def federated(*targets, stacks=()):
    return {**GLOBAL, "federationTargets": list(targets), "federationStacks": list(stacks)}


def fed_target(cluster="a", region="r", endpoint="a.example.com:9090"):
    return {"cluster": cluster, "region": region, "endpoint": endpoint}


STRINGS = [
    ({"retention": "30d\n"}, "retention: control character '\\n' is not allowed, got '30d\\n'"),
    ({"namespace": "monitoring\n"}, "namespace: control character '\\n' is not allowed, got 'monitoring\\n'"),
    ({"runbookBaseUrl": "https://example.com/rb\n"},
     "runbookBaseUrl: control character '\\n' is not allowed, got 'https://example.com/rb\\n'"),
    ({"cluster": "prod\x00"}, "cluster: control character '\\x00' is not allowed, got 'prod\\x00'"),
    ({"externalLabels": {"team": "mesh\x1b[31m"}},
     "externalLabels.team: control character '\\x1b' is not allowed, got 'mesh\\x1b[31m'"),
    ({"grafanaAdminUser": "admin\t"}, "grafanaAdminUser: control character '\\t' is not allowed, got 'admin\\t'"),
    ({"storageParameters": {"type": "gp3\r"}},
     "storageParameters.type: control character '\\r' is not allowed, got 'gp3\\r'"),
    ({"slackChannel": "#alerts\n"}, "slackChannel: control character '\\n' is not allowed, got '#alerts\\n'"),
    ({"region": "us-east-1\u2028"}, "region: control character '\\u2028' is not allowed, got 'us-east-1\\u2028'"),
    ({"storageClassName": "fast\x7fssd"},
     "storageClassName: control character '\\x7f' is not allowed, got 'fast\\x7fssd'"),
    ({"dropMetrics": ["go_.*\n"]}, "dropMetrics[0]: control character '\\n' is not allowed, got 'go_.*\\n'"),
    ({"retention": "\u0663\u0660d"}, "retention: expected a duration like 30d, got '\u0663\u0660d'"),
    ({"retention": " 30d"}, "retention: expected a duration like 30d, got ' 30d'"),
    ({"retention": "30d5d"}, "retention: expected a duration like 30d, got '30d5d'"),
    ({"retention": "5m1h"}, "retention: expected a duration like 30d, got '5m1h'"),
    ({"grafanaAdminUser": ""}, "grafanaAdminUser: expected a user name of letters, digits and ._@+- (at most 64), "
                               "got ''"),
    ({"kubePrometheusStackVersion": "88.5.3 "},
     "kubePrometheusStackVersion: expected a chart version like 1.2.3, got '88.5.3 '"),
]

REGEXES = [
    ({"dropMetrics": ["(?=go_)go_.*"]},
     f"dropMetrics: invalid regular expression '(?=go_)go_.*': invalid perl operator: (?= {RE2}"),
    ({"dropMetrics": ["(go)_\\1"]},
     f"dropMetrics: invalid regular expression '(go)_\\\\1': invalid escape sequence: \\1 {RE2}"),
    ({"dropMetrics": ["go_.*+"]},
     f"dropMetrics: invalid regular expression 'go_.*+': bad repetition operator: *+ {RE2}"),
    ({"dropMetrics": ["go_[z-a]"]},
     f"dropMetrics: invalid regular expression 'go_[z-a]': invalid character class range: z-a {RE2}"),
    (target(keep="(?!x).*"),
     f"remoteWrite[0].keep: invalid regular expression '(?!x).*': invalid perl operator: (?! {RE2}"),
    (target(keep="mcp_mesh:(?<name>.*)"),
     "remoteWrite[0].keep: invalid regular expression 'mcp_mesh:(?<name>.*)': named groups are written (?P<name>...) "
     f"in the Go of Prometheus 2.42 {RE2}"),
    (target(keep="mcp_mesh:.{1001}"),
     f"remoteWrite[0].keep: invalid regular expression 'mcp_mesh:.{{1001}}': invalid repetition size: {{1001}} {RE2}"),
]

BOUNDS = [
    ({"prometheusReplicas": 1000}, "prometheusReplicas: expected an integer from 1 to 10 (each replica is a full "
                                   "copy that scrapes every target), got 1000"),
    ({"prometheusReplicas": 2**31}, "prometheusReplicas: expected an integer from 1 to 10 (each replica is a full "
                                    "copy that scrapes every target), got 2147483648"),
    ({"prometheusReplicas": "-1"}, "prometheusReplicas: expected an integer from 1 to 10 (each replica is a full "
                                   "copy that scrapes every target), got -1"),
    ({"retention": "300y"}, "retention: expected a duration from 2h to 100y (Prometheus cuts a block every 2h and "
                            "caps retention at 100y), got '300y'"),
    ({"retention": "101y"}, "retention: expected a duration from 2h to 100y (Prometheus cuts a block every 2h and "
                            "caps retention at 100y), got '101y'"),
    ({"retention": "1h"}, "retention: expected a duration from 2h to 100y (Prometheus cuts a block every 2h and "
                          "caps retention at 100y), got '1h'"),
    ({"federationPort": 99999},
     "federationPort: expected an integer from 1 to 65535 (TCP ports are 16-bit, 0 is not a port), got 99999"),
    ({"federationPort": 0},
     "federationPort: expected an integer from 1 to 65535 (TCP ports are 16-bit, 0 is not a port), got 0"),
    (target(queue={"capacity": 2**63}), "remoteWrite[0].queue.capacity: expected an integer from 1 to 1000000 "
                                        "(samples buffered per shard; memory grows with it), got 9223372036854775808"),
    (target(queue={"maxSamplesPerSend": 10**6}), "remoteWrite[0].queue.maxSamplesPerSend: expected an integer "
                                                 "from 1 to 100000 (receivers refuse larger requests), got 1000000"),
    (target(queue={"maxShards": 5000}), "remoteWrite[0].queue.maxShards: expected an integer from 1 to 1000 "
                                        "(each shard is a connection to the receiver), got 5000"),
    (target(queue={"minBackoff": "2h"}), "remoteWrite[0].queue.minBackoff: expected a duration from 1ms to 1h "
                                         "(retries back off at most an hour), got '2h'"),
    ({"prometheusMemoryAlertPercent": 0}, "prometheusMemoryAlertPercent: expected a percentage from 1 to 100, got 0"),
    ({"prometheusMemoryAlertPercent": 150},
     "prometheusMemoryAlertPercent: expected a percentage from 1 to 100, got 150"),
    ({"storageSize": "100Pi"},
     "storageSize: expected a size from 1Gi to 64Ti (the largest cloud block volumes hold 64Ti), got '100Pi'"),
    ({"prometheusCpuLimit": "1000"}, "prometheusCpuLimit: expected at most 256 CPUs (no node offers more cores), "
                                     "got '1000'"),
    ({"prometheusCpuRequest": "0.5m"}, "prometheusCpuRequest: expected a CPU quantity like 500m or 2, got '0.5m'"),
    ({"scrapeInterval": "10m"}, "scrapeInterval: expected a duration from 1s to 5m (a series goes stale after 5m "
                                "without a sample), got '10m'"),
    ({"alertmanagerRepeatInterval": "30d"}, "alertmanagerRepeatInterval: expected a duration from 1m to 5d "
                                            "(Alertmanager forgets sent notifications after 5 days), got '30d'"),
    ({"sloLatencyThreshold": "1h"}, "sloLatencyThreshold: expected a duration from 1ms to 5m (request durations "
                                    "are bucketed up to seconds), got '1h'"),
    ({"federationInterval": "0s"}, "federationInterval: expected a duration like 30d, got '0s'"),
    (target(remoteTimeout="1h"), "remoteWrite[0].remoteTimeout: expected a duration from 1s to 5m (a request "
                                 "outlasting a scrape interval backs up the queue), got '1h'"),
    ({"grafanaPersistenceSize": "2Ti"}, "grafanaPersistenceSize: expected a size from 1Gi to 1Ti (dashboards and "
                                        "users fit in far less), got '2Ti'"),
    ({"prometheusMemoryRequest": "1Mi", "prometheusMemoryLimit": "1Mi"},
     "prometheusMemoryRequest: expected a size from 64Mi to 4Ti (Prometheus needs 64Mi to start; no node offers "
     "4Ti), got '1Mi'"),
    ({"alertmanagerGroupWait": "2d"}, "alertmanagerGroupWait: expected a duration from 1s to 1d (a notification "
                                      "held longer than a day is lost news), got '2d'"),
    ({"remoteWriteMaxLag": "2d"}, "remoteWriteMaxLag: expected a duration from 1s to 1d (a day behind is a lost "
                                  "day), got '2d'"),
    ({"remoteWrite": [{**RW, "name": f"t{i}"} for i in range(21)]},
     "remoteWrite: expected at most 20 entries, got '21 entries'"),
]

CROSS_FIELD = [
    ({"retentionSize": "200GB"},
     "retentionSize: must fit in storageSize (100Gi; Prometheus counts 1GB as 1Gi), got '200GB'"),
    ({"storageSize": "10Gi", "retentionSize": "10.5GiB"},
     "retentionSize: must fit in storageSize (10Gi; Prometheus counts 1GB as 1Gi), got '10.5GiB'"),
    ({"scrapeInterval": "3m"}, "scrapeInterval: must be at most half the rules' rate window (5m) so each rate sees "
                               "two samples, got '3m'"),
    ({"evaluationInterval": "5m1s"}, "evaluationInterval: expected a duration from 1s to 5m (a series goes stale "
                                     "after 5m without a sample), got '5m1s'"),
    ({"prometheusMemoryRequest": "256m"}, "prometheusMemoryRequest: expected bytes like 2Gi ('m' is milli: 256m "
                                          "would be a fraction of a byte; mebibytes are 'Mi'), got '256m'"),
    ({"prometheusMemoryLimit": "4096m"}, "prometheusMemoryLimit: expected bytes like 4Gi ('m' is milli: 4096m "
                                         "would be a fraction of a byte; mebibytes are 'Mi'), got '4096m'"),
    ({"storageSize": "100m"}, "storageSize: expected bytes like 100Gi ('m' is milli: 100m would be a fraction of "
                              "a byte; mebibytes are 'Mi'), got '100m'"),
    ({"storageSize": "107374182400"}, "storageSize: expected a positive quantity like 100Gi, got '107374182400'"),
    ({"dropMetrics": [".*"]},
     "dropMetrics: '.*' would drop the mesh series 'mcp_mesh_agent' the rules and dashboards read"),
    ({"dropMetrics": ["mcp_mesh_.*"]},
     "dropMetrics: 'mcp_mesh_.*' would drop the mesh series 'mcp_mesh_agent' the rules and dashboards read"),
    ({"dropMetrics": ["go_.*", "mcp_mesh_request_duration_seconds_bucket"]},
     "dropMetrics: 'mcp_mesh_request_duration_seconds_bucket' would drop the mesh series "
     "'mcp_mesh_request_duration_seconds_bucket' the rules and dashboards read"),
    ({"dropMetrics": [".*_total"]},
     "dropMetrics: '.*_total' would drop the mesh series 'mcp_mesh_business_api_calls_total' the rules and "
     "dashboards read"),
    ({"alertmanagerGroupInterval": "2h", "alertmanagerRepeatInterval": "1h"},
     "alertmanagerRepeatInterval: must not be below alertmanagerGroupInterval (2h), got '1h'"),
    ({"pageSlackChannel": "#pages", "slackChannel": ""},
     "pageSlackChannel: needs slackChannel (the Slack webhook's receiver), got '#pages' with slackChannel ''"),
    ({"storageAccessModes": ["ReadWriteOncePod", "ReadWriteOnce"]},
     "storageAccessModes: ReadWriteOncePod excludes every other mode, got ['ReadWriteOncePod', 'ReadWriteOnce']"),
    ({"storageProvisioner": ""}, "storageProvisioner: required when storageCreateClass is true, got ''"),
    (target(queue={"minBackoff": "1s", "maxBackoff": "500ms"}),
     "remoteWrite[0].queue.minBackoff: must not exceed maxBackoff (500ms), got '1s'"),
    ({**INTERNAL_LB, "federationSourceRanges": []},
     "federationSourceRanges: expected at least one private CIDR (never open to every address), got []"),
    ({"federationExposure": "ingress"},
     "federationHost: required for ingress exposure (the name the global cluster resolves), got ''"),
    ({"federationExposure": "service-name"},
     "federationHost: required for service-name exposure (the name the global cluster resolves), got ''"),
    # The guide's name: from the global cluster it is a Service of the global cluster's own namespace.
    ({"federationExposure": "service-name", "federationHost": "prometheus-us-east-1"},
     f"federationHost: expected {FROM_GLOBAL}, got 'prometheus-us-east-1'"),
    ({"federationExposure": "service-name", "federationHost": "prometheus-kube-prometheus-prometheus.monitoring.svc"},
     f"federationHost: expected {FROM_GLOBAL}, got 'prometheus-kube-prometheus-prometheus.monitoring.svc'"),
    ({"federationExposure": "service-name", "federationHost": "prometheus.monitoring.svc.cluster.local"},
     f"federationHost: expected {FROM_GLOBAL}, got 'prometheus.monitoring.svc.cluster.local'"),
    ({"federationExposure": "ingress", "federationHost": "fed.us-east-1.example.com"},
     "federationTlsSecret: ingress exposure needs its certificate: an existing TLS Secret (federationTlsSecret) "
     "or a cert-manager ClusterIssuer (federationCertIssuer), got neither"),
    ({"federationExposure": "ingress", "federationHost": "fed.us-east-1.example.com",
      "federationTlsSecret": "fed-tls", "federationCertIssuer": "letsencrypt"},
     "federationCertIssuer: set federationTlsSecret ('fed-tls') or federationCertIssuer, not both, "
     "got 'letsencrypt'"),
    ({"federationTargets": [fed_target()]}, "federationTargets: only a global stack federates, this one is regional"),
    ({**GLOBAL, "federationTargets": []}, "federationStacks: a global stack needs regional stacks or targets, got []"),
    ({"externalLabels": {"region": "eu"}}, "externalLabels.region: is set from the 'region' setting; remove it here"),
]

CUSTOM_RULES = [
    (alert(labels={"__name__": "x"}), f"customRules[0].labels: expected {LABEL_NAME}, got '__name__'"),
    (alert(labels={"team-name": "x"}), f"customRules[0].labels: expected {LABEL_NAME}, got 'team-name'"),
    (alert(annotations={"summary": "s", "description": "d", "runbook-url": "x"}),
     f"customRules[0].annotations: expected {LABEL_NAME}, got 'runbook-url'"),
    (summary("{{ $value"), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template '{{ $value': "
                           "unclosed action at position 0"),
    (summary("{{ if $value }}hi"), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template "
                                   "'{{ if $value }}hi': {{if}} without {{end}}"),
    (summary("{{ }}"), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template '{{ }}': "
                       "empty action at position 0"),
    (summary('{{ "x }}'), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template '{{ \"x }}': "
                          "unterminated quoted string in the action at position 0"),
    (summary("{{ end }}"), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template '{{ end }}': "
                           "unexpected {{end}} at position 0"),
    (summary("{{ humanize ($value }}"), "customRules[0].annotations.summary: rule 'WeatherSlow': invalid template "
                                        "'{{ humanize ($value }}': unclosed '(' in the action at position 0"),
    (alert(labels={"team": "{{ $labels.x"}), "customRules[0].labels.team: rule 'WeatherSlow': invalid template "
                                             "'{{ $labels.x': unclosed action at position 0"),
    (alert(expr="up[5m]"), "customRules[0].expr: alert 'WeatherSlow': a rule's expression must give an instant "
                           "vector or a scalar, 'up[5m]' gives a range vector"),
    (alert(expr='"a string"'), "customRules[0].expr: alert 'WeatherSlow': a rule's expression must give an "
                               "instant vector or a scalar, '\"a string\"' gives a string"),
    ({"customRules": [{"record": "x:y", "expr": "(rate(up[5m:1m])[5m:])"}]},
     "customRules[0].expr: recording rule 'x:y': a rule's expression must give an instant vector or a scalar, "
     "'(rate(up[5m:1m])[5m:])' gives a range vector"),
    (alert(alert=c.ALERT_TARGET_DOWN),
     f"customRules[0].alert: rule {c.ALERT_TARGET_DOWN!r} is already defined by this program"),
    ({**GLOBAL, **alert(alert=c.ALERT_REGION_NOT_FEDERATING)},
     f"customRules[0].alert: rule {c.ALERT_REGION_NOT_FEDERATING!r} is already defined by this program"),
    (alert(**{"for": "2w"}), "customRules[0].for: expected a duration from 1s to 1w (an alert pending for longer "
                             "than a week never fires in time), got '2w'"),
    (alert(**{"for": "5m\n"}), "customRules[0].for: control character '\\n' is not allowed, got '5m\\n'"),
    ({"customRules": [{"record": "x:y", "expr": "up", "labels": {"a": "b\n"}}]},
     "customRules[0].labels.a: control character '\\n' is not allowed, got 'b\\n'"),
    (alert(alert="Weather\nSlow"), "customRules[0].alert: control character '\\n' is not allowed, got 'Weather\\nSlow'"),
    (alert(expr="up ==\x00 0"), "customRules[0].expr: control character '\\x00' is not allowed, got 'up ==\\x00 0'"),
    (alert(alert="Weather-Slow"), "customRules[0].alert: expected an alert name like AgentSlow, got 'Weather-Slow'"),
    ({"customRules": [{"record": "mesh ratio", "expr": "up"}]},
     "customRules[0].record: expected a metric name like mcp_mesh:my_ratio, got 'mesh ratio'"),
    (alert(labels={"severity": "page"}), "customRules[0].labels.severity: expected critical or warning, got 'page'"),
    (alert(expr=""), "customRules[0].expr: expected the PromQL expression of alert 'WeatherSlow', got ''"),
]

KUBERNETES_AND_NETWORK = [
    ({**INTERNAL_LB, "federationSourceRanges": ["10.0.0.0/33"]},
     "federationSourceRanges: expected a CIDR like 10.0.0.0/8, got '10.0.0.0/33'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["300.1.2.3/8"]},
     "federationSourceRanges: expected a CIDR like 10.0.0.0/8, got '300.1.2.3/8'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["10.0.0.1"]},
     "federationSourceRanges: expected a CIDR like 10.0.0.0/8, got '10.0.0.1'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["0.0.0.0/0"]}, f"federationSourceRanges: expected {PRIVATE}, "
                                                               "got '0.0.0.0/0'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["::/0"]}, f"federationSourceRanges: expected {PRIVATE}, got '::/0'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["8.8.8.0/24"]},
     f"federationSourceRanges: expected {PRIVATE}, got '8.8.8.0/24'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["10.0.0.0/7"]},
     f"federationSourceRanges: expected {PRIVATE}, got '10.0.0.0/7'"),
    ({**INTERNAL_LB, "federationSourceRanges": ["10.0.0.0/8", "10.0.0.0/8"]},
     "federationSourceRanges: '10.0.0.0/8' is listed twice"),
    ({"federationExposure": "ingress", "federationHost": "prom..example.com"},
     f"federationHost: expected {DNS_NAME}, at most 253 characters, got 'prom..example.com'"),
    ({"federationHost": "-prom.example.com"},
     f"federationHost: expected {DNS_NAME}, at most 253 characters, got '-prom.example.com'"),
    ({"federationHost": "Prom.Example.com"},
     f"federationHost: expected {DNS_NAME}, at most 253 characters, got 'Prom.Example.com'"),
    ({"federationHost": "a" * 64 + ".example.com"},
     f"federationHost: expected {DNS_NAME}, each label at most 63 characters, got '{'a' * 64}.example.com'"),
    ({"storageProvisioner": "ebs csi"}, f"storageProvisioner: expected {PROVISIONER}, got 'ebs csi'"),
    ({"storageProvisioner": "-ebs.csi.aws.com"}, f"storageProvisioner: expected {PROVISIONER}, got '-ebs.csi.aws.com'"),
    ({"storageProvisioner": "x" * 64}, f"storageProvisioner: expected {PROVISIONER}, got '{'x' * 64}'"),
    ({"agentNameLabel": "app.kubernetes.io/" + "n" * 64}, "agentNameLabel: expected a Kubernetes label key like "
                                                          f"app.kubernetes.io/name, got 'app.kubernetes.io/{'n' * 64}'"),
    ({"agentNameLabel": "Example.com/name"},
     "agentNameLabel: expected a Kubernetes label key like app.kubernetes.io/name, got 'Example.com/name'"),
    ({"agentSelector": {"app": "a" * 64}}, f"agentSelector.app: expected a Kubernetes label value, got '{'a' * 64}'"),
    ({"releaseName": "r" * 54}, "releaseName: expected a Helm release name (lower-case letters, digits and '-', "
                                f"at most 53), got '{'r' * 54}'"),
    ({"releaseName": "Prometheus"}, "releaseName: expected a Helm release name (lower-case letters, digits and '-', "
                                    "at most 53), got 'Prometheus'"),
    ({"namespace": "n" * 64}, f"namespace: expected a DNS label (lower-case letters, digits and '-'), got '{'n' * 64}'"),
    ({"registryServiceName": "1registry"}, "registryServiceName: expected a DNS-1035 label (a lower-case letter, "
                                           "then letters, digits and '-', at most 63), got '1registry'"),
    ({"storageClassName": "fast_ssd"},
     f"storageClassName: expected {DNS_NAME}, at most 253 characters, got 'fast_ssd'"),
    (federated(fed_target(), fed_target(region="r2", endpoint="b.example.com:9090")),
     "federationTargets[1].cluster: 'a' appears twice"),
    (federated(fed_target(), fed_target(cluster="b")), "federationTargets[1].endpoint: 'a.example.com:9090' appears "
                                                       "twice"),
    (federated(fed_target(endpoint="a.example.com:99999")),
     f"federationTargets[0].endpoint: expected {ENDPOINT}, got 'a.example.com:99999'"),
    (federated(fed_target(endpoint="a..example.com:9090")),
     f"federationTargets[0].endpoint: expected {ENDPOINT}, got 'a..example.com:9090'"),
    (federated(fed_target(endpoint="[10.0.0.1]:9090")),
     f"federationTargets[0].endpoint: expected {ENDPOINT}, got '[10.0.0.1]:9090'"),
    (federated({"cluster": "a", "region": "r"}), "federationTargets[0].endpoint: is required"),
    (federated(fed_target(), {**fed_target(cluster="b", endpoint="b.example.com:9090"), "scheme": "ftp"}),
     "federationTargets[1].scheme: expected http or https, got 'ftp'"),
    (federated(stacks=["prod-us-east-1", "prod-us-east-1"]), "federationStacks: 'prod-us-east-1' is listed twice"),
    (federated(stacks=["prod-us-east-1", "acme/mcp-mesh-monitoring/prod-us-east-1"]),
     "federationStacks: stack 'prod-us-east-1' is listed twice"),
    (federated(fed_target(cluster="prod-us-east-1"), stacks=["prod-us-east-1"]),
     "federationTargets: cluster 'prod-us-east-1' is also in federationStacks"),
    (federated(stacks=["prod us"]),
     "federationStacks: expected a Pulumi stack name like prod-us-east-1 or org/project/stack, got 'prod us'"),
    (target(url="https://user:pw@mimir.example.com/push"),
     "remoteWrite[0].url: credentials do not belong in a URL: set them as a secret"),
    (target(url="https://mimir.example.com:99999/push"),
     "remoteWrite[0].url: expected an http:// or https:// URL, got 'https://mimir.example.com:99999/push'"),
    (target(url="https:///push"), "remoteWrite[0].url: expected an http:// or https:// URL, got 'https:///push'"),
    ({"remoteWrite": [RW, RW]}, "remoteWrite[1].name: 'mimir' appears twice"),
    (target(tenant=".."), "remoteWrite[0].tenant: expected a tenant ID (letters, digits and !-_.*'(), at most 150), "
                          "got '..'"),
    (target(tenant="a b"), "remoteWrite[0].tenant: expected a tenant ID (letters, digits and !-_.*'(), at most 150), "
                           "got 'a b'"),
    ({"remoteWrite": [{"url": RW["url"]}]}, "remoteWrite[0].name: is required"),
    ({"runbookBaseUrl": "https://example.com/rb#x"},
     "runbookBaseUrl: expected an http:// or https:// URL without a #fragment, got 'https://example.com/rb#x'"),
    ({"runbookBaseUrl": "https://exa mple.com/rb"},
     "runbookBaseUrl: expected an http:// or https:// URL without a #fragment, got 'https://exa mple.com/rb'"),
]

ALERTMANAGER = [
    ({"alertmanagerGroupBy": ["alertname", "alertname"]}, "alertmanagerGroupBy: 'alertname' is listed twice"),
    ({"alertmanagerGroupBy": ["alert-name"]}, f"alertmanagerGroupBy: expected {LABEL_NAME}, got 'alert-name'"),
    ({"alertmanagerGroupBy": ["...", "alertname"]},
     "alertmanagerGroupBy: '...' (group by every label) stands alone, got ['...', 'alertname']"),
    ({"alertmanagerGroupBy": ["__name__"]}, f"alertmanagerGroupBy: expected {LABEL_NAME}, got '__name__'"),
    ({"alertmanagerGroupBy": [""]}, f"alertmanagerGroupBy: expected {LABEL_NAME}, got ''"),
    ({"slackChannel": "#Alerts"}, "slackChannel: expected a channel like #alerts, got '#Alerts'"),
    ({"slackChannel": "#" + "a" * 81}, f"slackChannel: expected a channel like #alerts, got '#{'a' * 81}'"),
]

TYPES = [
    ({"prometheusReplicas": "2.5"}, "prometheusReplicas: expected an integer, got '2.5'"),
    ({"prometheusReplicas": True}, "prometheusReplicas: expected an integer, got True"),
    ({"prometheusReplicas": "2\n"}, "prometheusReplicas: expected an integer, got '2\\n'"),
    ({"protect": "1"}, "protect: expected true or false, got '1'"),
    ({"storageAccessModes": "ReadWriteOnce"}, "storageAccessModes: expected a list, got 'ReadWriteOnce'"),
    ({"storageAccessModes": [1]}, "storageAccessModes: expected a list of strings, got [1]"),
    ({"storageAccessModes": []}, "storageAccessModes: expected a non-empty value, got []"),
    ({"externalLabels": "team=mesh"}, "externalLabels: expected a JSON/YAML object or list, got 'team=mesh'"),
    ({"externalLabels": {"team": 1}}, "externalLabels.team: expected a string, got 1"),
    ({"externalLabels": {"team": ""}}, "externalLabels.team: expected a non-empty value, got ''"),
    ({"retention": ["30d"]}, "retention: expected a string, got ['30d']"),
    ({"remoteWrite": {"name": "x"}}, "remoteWrite: expected a list of mappings, got {'name': 'x'}"),
    ({"customRules": {"alert": "X"}}, "customRules: expected a list of rules, got {'alert': 'X'}"),
    (target(basicAuth="yes"), "remoteWrite[0].basicAuth: expected true or false, got 'yes'"),
    ({**GLOBAL, "federationInterval": "15s"},
     "federationInterval: must not be shorter than evaluationInterval (30s), got '15s'"),
    ({**GLOBAL, "evaluationInterval": "1m"},
     "federationInterval: must not be shorter than evaluationInterval (1m), got '30s'"),
]

BAD_INPUTS = [(kind, overrides, message) for kind, cases in (
    ("strings", STRINGS), ("regexes", REGEXES), ("bounds", BOUNDS), ("cross-field", CROSS_FIELD),
    ("custom rules", CUSTOM_RULES), ("kubernetes and network", KUBERNETES_AND_NETWORK),
    ("alertmanager", ALERTMANAGER), ("types", TYPES),
) for overrides, message in cases]


@pytest.mark.parametrize("kind, overrides, message", BAD_INPUTS,
                         ids=[f"{kind}:{message.split(':')[0]}:{i}" for i, (kind, _, message) in enumerate(BAD_INPUTS)])
def test_a_bad_setting_is_refused_with_its_exact_message(kind, overrides, message):
    with pytest.raises(SettingsError) as err:
        load_settings("test", {**REGIONAL, **overrides})
    assert str(err.value) == message


# --------------------------------------------------------------------------
# Secrets: checked in shape and content before anything is created, never shown
# --------------------------------------------------------------------------

HIDDEN_STRING = "got a string (hidden: secret)"
CA = ("-----BEGIN CERTIFICATE-----\nMIIBmzCCAUGgAwIBAgIUWxpdzxA8d0RkYzsCSjxLEfhOPYUwCgYIKoZIzj0EAwIw\n"
      "-----END CERTIFICATE-----\n")
BASIC_AUTH_TARGET = {"remoteWrite": [{**RW, "basicAuth": True}]}

SECRETS = [
    ({}, c.SECRET_GRAFANA_ADMIN_PASSWORD, "",
     f"grafanaAdminPassword: expected a string of 8 to 4096 characters, {HIDDEN_STRING}"),
    ({}, c.SECRET_GRAFANA_ADMIN_PASSWORD, "hunter2",
     f"grafanaAdminPassword: expected a string of 8 to 4096 characters, {HIDDEN_STRING}"),
    ({}, c.SECRET_GRAFANA_ADMIN_PASSWORD, "correct horse\nbattery",
     f"grafanaAdminPassword: expected text without control characters, {HIDDEN_STRING}"),
    ({}, c.SECRET_SLACK_WEBHOOK, "hooks.slack.com/services/T0/B0/xyzzy-token",
     f"slackWebhookUrl: expected an https:// URL, {HIDDEN_STRING}"),
    ({}, c.SECRET_SLACK_WEBHOOK, "http://hooks.slack.com/services/T0/B0/xyzzy-token",
     f"slackWebhookUrl: expected an https:// URL, {HIDDEN_STRING}"),
    ({}, c.SECRET_SLACK_WEBHOOK, "https://user:xyzzy-token@hooks.slack.com/services",
     f"slackWebhookUrl: expected an https:// URL, {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_CA, "not a certificate: xyzzy-token",
     f"federationCa: expected PEM certificates (-----BEGIN CERTIFICATE----- ...), {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_CA, CA.replace("MIIB", "!!xyzzy"),
     f"federationCa: expected PEM certificates (-----BEGIN CERTIFICATE----- ...), {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_CA, CA.replace("MIIB", "QUJD"),
     f"federationCa: expected PEM certificates whose bodies are base64 DER, {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_CA, CA + "xyzzy-token trailing text",
     f"federationCa: expected PEM certificates (-----BEGIN CERTIFICATE----- ...), {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, "xyzzy-token",
     f"federationBasicAuth: expected a JSON object, {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, '["federator", "xyzzy-token"]',
     "federationBasicAuth: expected a mapping with exactly username and password, got a list (hidden: secret)"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, '{"username": "federator", "pasword": "xyzzy-token"}',
     "federationBasicAuth: expected a mapping with exactly username and password, got a mapping (hidden: secret)"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, '{"username": "fed:xyzzy-token", "password": "long-enough-pw"}',
     f"federationBasicAuth.username: expected a user name without ':' or spaces, {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, '{"username": "federator", "password": ""}',
     f"federationBasicAuth.password: expected a string of 8 to 4096 characters, {HIDDEN_STRING}"),
    ({}, c.SECRET_FEDERATION_BASIC_AUTH, '{"username": "federator", "password": 12345678}',
     "federationBasicAuth.password: expected a string of 8 to 4096 characters, got a number (hidden: secret)"),
    (BASIC_AUTH_TARGET, c.SECRET_REMOTE_WRITE_CREDENTIALS, '{"mimri": {"username": "u", "password": "xyzzy-token"}}',
     "remoteWriteCredentials: no credentials for remote-write target 'mimir' (it has basicAuth: true)"),
    (BASIC_AUTH_TARGET, c.SECRET_REMOTE_WRITE_CREDENTIALS,
     '{"mimir": {"username": "u", "password": "xyzzy-token"}, "other": {"username": "u", "password": "12345678"}}',
     "remoteWriteCredentials: holds credentials for targets other than ['mimir'] (the remote-write targets with "
     "basicAuth: true)"),
    (BASIC_AUTH_TARGET, c.SECRET_REMOTE_WRITE_CREDENTIALS, '{"xyzzy-token": "xyzzy-token"}',
     "remoteWriteCredentials[entry 1]: expected a mapping with exactly username and password, "
     "got a string (hidden: secret)"),
    ({}, c.SECRET_PAGERDUTY_ROUTING_KEY, "xyzzy-token",
     f"pagerdutyRoutingKey: expected a PagerDuty routing key (32 letters and digits), {HIDDEN_STRING}"),
]


@pytest.mark.parametrize("overrides, key, value, message", SECRETS,
                         ids=[f"secrets:{m.split(':')[0]}:{i}" for i, (_, _, _, m) in enumerate(SECRETS)])
def test_a_bad_secret_is_refused_without_showing_it(overrides, key, value, message):
    settings = load_settings("test", {**REGIONAL, **overrides}, frozenset({key}))
    with pytest.raises(SettingsError) as err:
        parse_secrets(settings, {key: value})
    assert str(err.value) == message
    if value:
        assert "xyzzy" not in str(err.value) and value not in str(err.value)


def test_a_secret_in_plain_text_is_refused_without_showing_it():
    with pytest.raises(SettingsError) as err:
        load_settings("test", {**REGIONAL, c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.com/xyzzy-token"})
    assert str(err.value) == (
        "slackWebhookUrl: is a secret: set it with `pulumi config set --secret`, not in plain text")


def test_good_secrets_are_parsed():
    settings = load_settings("test", {**REGIONAL, **BASIC_AUTH_TARGET})
    parsed = parse_secrets(settings, {
        c.SECRET_REMOTE_WRITE_CREDENTIALS: '{"mimir": {"username": "writer", "password": "long-enough"}}',
        c.SECRET_FEDERATION_BASIC_AUTH: {"username": "federator", "password": "long-enough"},
        c.SECRET_PAGERDUTY_ROUTING_KEY: "R0123456789abcdef0123456789ABCDE",
        c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.com/services/T0/B0/abc",
    })
    assert parsed[c.SECRET_REMOTE_WRITE_CREDENTIALS] == {"mimir": {"username": "writer", "password": "long-enough"}}
    assert parsed[c.SECRET_FEDERATION_BASIC_AUTH] == {"username": "federator", "password": "long-enough"}


def test_the_corpus_covers_every_kind_with_at_least_a_hundred_cases():
    kinds = {kind for kind, _, _ in BAD_INPUTS}
    assert len(kinds) == 8 and len(BAD_INPUTS) + len(SECRETS) >= 100
