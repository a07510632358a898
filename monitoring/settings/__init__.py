"""Typed, validated stack settings.

:func:`load_settings` turns a stack's configuration into one frozen
:class:`StackSettings`, or raises one :class:`SettingsError` naming the key,
the value (a secret's masked) and what was expected, before anything is created.

- :mod:`~monitoring.settings.table`: every setting declared once (key, type,
  default, description, check, target field);
- :mod:`~monitoring.settings.checks`: the value checks the table uses;
- :mod:`~monitoring.settings.model`: the typed sections;
- :mod:`~monitoring.settings.loader`: one loop over the table, then
- :mod:`~monitoring.settings.cross`: the checks across settings;
- :mod:`~monitoring.settings.secrets`: secret values, checked and never shown;
- :mod:`~monitoring.settings.generate`: Pulumi.yaml's config block and the
  README's settings table, generated from the table.
"""

from monitoring.settings.checks import duration_seconds, quantity_value
from monitoring.settings.errors import SettingsError
from monitoring.settings.model import (
    AccessMode, AlertmanagerSettings, ChartVersions, ClusterFlavour, Exposure, FeatureFlag, FederationSettings, FederationTarget,
    GrafanaSettings, MeshSettings, PrometheusSettings, QueueSettings, ReclaimPolicy, RemoteWriteTarget,
    ResourceSettings, Role, RuleSettings, StackSettings, StorageSettings,
)
from monitoring.settings.table import SECRET_KEYS, SPEC_BY_KEY, SPECS, Kind, Spec
from monitoring.settings.loader import load_settings, own_key, parse_secrets, required_secrets
from monitoring.settings.generate import project_config_block, readme_table

__all__ = [
    "AccessMode", "AlertmanagerSettings", "ChartVersions", "ClusterFlavour", "Exposure", "FeatureFlag", "FederationSettings",
    "FederationTarget", "GrafanaSettings", "Kind", "MeshSettings", "PrometheusSettings", "QueueSettings",
    "ReclaimPolicy", "RemoteWriteTarget", "ResourceSettings", "Role", "RuleSettings", "SECRET_KEYS", "SPECS",
    "SPEC_BY_KEY", "SettingsError", "Spec", "StackSettings", "StorageSettings", "duration_seconds",
    "load_settings", "own_key", "parse_secrets", "project_config_block", "quantity_value", "readme_table",
    "required_secrets",
]
