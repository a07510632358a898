"""Alerts on the monitoring stack's own volumes, against the stack's settings.

A volume claim is fixed once created: Prometheus' claims come from the
operator's StatefulSet template and Grafana's from the chart, and neither
changes an existing claim when ``storageSize``, ``grafanaPersistenceSize`` or
a storage class setting changes. The new value is in the Helm values, the old
one stays on the volume, and nothing fails. These alerts make that visible:
they compare what kube-state-metrics reports of each claim with the
settings, until the operator applies the change (docs/runbooks.md has the
steps for each case).
"""

from __future__ import annotations

import json

from monitoring import conventions as c
from monitoring.resources import AlertingRule, RuleGroup, alert
from monitoring.settings import StackSettings, quantity_value

_FOR = "30m"  # an expansion in progress is not a mismatch


def _claims(settings: StackSettings) -> list[tuple[str, str, str, str]]:
    """(claim matcher, size setting value, storage class or "", what it is) of each volume."""
    namespace = json.dumps(settings.namespace)
    prometheus = f"namespace={namespace}, persistentvolumeclaim=~{json.dumps(c.prometheus_volume_claim_regex(settings.release_name))}"
    claims = [(prometheus, settings.storage.size, settings.storage.class_name, "Prometheus")]
    if settings.grafana.enabled:
        grafana = f"namespace={namespace}, persistentvolumeclaim={json.dumps(c.grafana_fullname(settings.release_name))}"
        claims.append((grafana, settings.grafana.persistence_size, settings.grafana.storage_class, "Grafana"))
    return claims


def _number(value: float) -> str:
    return str(int(value))


def volume_alerts(settings: StackSettings) -> tuple[AlertingRule, ...]:
    claims = _claims(settings)
    sizes = "\nor\n".join(f"{c.PVC_REQUESTED_BYTES}{{{matcher}}} != {_number(quantity_value(size))}"
                          for matcher, size, _, _ in claims)
    wanted = ", ".join(f"{what} {size}" for _, size, _, what in claims)
    rules = [alert(
        c.ALERT_VOLUME_SIZE_MISMATCH, sizes, _FOR, c.SEVERITY_WARNING,
        "A monitoring volume is not the size the stack's settings say",
        "Volume claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} requests "
        "{{ $value | humanize1024 }}B, while the settings ask for " + wanted + ": a changed size does not reach "
        "an existing claim by itself.")]
    named = [(matcher, cls, what) for matcher, _, cls, what in claims if cls]
    if named:
        classes = "\nor\n".join(f'{c.PVC_INFO}{{{matcher}, storageclass!={json.dumps(cls)}}}'
                                for matcher, cls, _ in named)
        wanted = ", ".join(f"{what} {cls}" for _, cls, what in named)
        rules.append(alert(
            c.ALERT_VOLUME_CLASS_MISMATCH, classes, _FOR, c.SEVERITY_WARNING,
            "A monitoring volume is not of the storage class the stack's settings say",
            "Volume claim {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is of storage class "
            "{{ $labels.storageclass }}, while the settings ask for " + wanted + ": a claim's class never "
            "changes; its data has to move to a new claim."))
    return tuple(rules)


def volumes_group(settings: StackSettings) -> RuleGroup:
    return RuleGroup(c.GROUP_VOLUMES, volume_alerts(settings), interval=settings.prometheus.evaluation_interval)
