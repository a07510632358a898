"""Property tests: whatever a stack file or the engine holds, the settings answer with a SettingsError at worst.

Arbitrary strings and JSON values for every key (typed, as a stack file read
directly gives them, and JSON-encoded, as the engine hands them over) either
load or fail with :class:`SettingsError`, never with another exception; a
secret's text never appears in the message.
"""

from __future__ import annotations

import json

import pytest

from hypothesis import HealthCheck, given, settings, strategies as st

from monitoring import conventions as c
from monitoring.settings import SECRET_KEYS, SPECS, SettingsError, load_settings, parse_secrets

REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}
PLAIN_KEYS = sorted(spec.key for spec in SPECS if not spec.secret)
# A marker put into every string of a secret value: if a message ever shows any
# part of a secret that carries it, the marker shows too.
MARK = "s3cr3t-9f1c"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=12,
)
# Strings close to valid ones, where the checks read deepest: numbers (of any
# length) with the units of durations, sizes and quantities, names, CIDRs, URLs.
UNITS = ("", "ms", "s", "m", "h", "d", "w", "y", "Mi", "Gi", "Ti", "GB", "GiB", "k", "e3", "/8", "/33")
near_valid = st.one_of(
    st.builds(lambda sign, digits, unit: sign + digits + unit, st.sampled_from(("", "-", "+")),
              st.text("0123456789", min_size=1, max_size=30), st.sampled_from(UNITS)),
    # Long runs of digits: past float range and past Python's int-conversion limit.
    st.builds(lambda digit, times, unit: digit * times + unit, st.sampled_from("19"),
              st.integers(1, 5000), st.sampled_from(UNITS)),
    st.from_regex(r"\A[a-z0-9.:/_*()?|\[\]{}^$\\-]{0,70}\Z"),
    st.from_regex(r"\A(https?|ftp)://[a-zA-Z0-9.:@\[\]%#/?-]{0,40}\Z"),
    st.from_regex(r"\A[0-9]{1,4}(\.[0-9]{1,4}){0,4}(/[0-9]{1,3})?\Z"),
)
values = st.one_of(st.text(), near_valid, st.lists(near_valid, max_size=3), json_values,
                   json_values.map(json.dumps), st.integers(min_value=-(2**70), max_value=2**70))

SLOW = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(key=st.sampled_from(PLAIN_KEYS), value=values)
def test_any_value_of_any_setting_loads_or_fails_with_a_settings_error(key, value):
    try:
        load_settings("test", {**REGIONAL, key: value})
    except SettingsError as err:
        assert str(err).startswith(err.key + ": ")


@pytest.mark.parametrize("key", PLAIN_KEYS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.one_of(near_valid, st.lists(near_valid, max_size=3)))
def test_near_valid_values_of_each_setting_load_or_fail_with_a_settings_error(key, value):
    try:
        load_settings("test", {**REGIONAL, key: value})
    except SettingsError as err:
        assert str(err).startswith(err.key + ": ")


@SLOW
@given(config=st.dictionaries(st.sampled_from(PLAIN_KEYS), values, max_size=6))
def test_any_combination_of_settings_loads_or_fails_with_a_settings_error(config):
    try:
        load_settings("test", config)
    except SettingsError:
        pass


def _marked(value):
    """``value`` with the marker in every string (keys of mappings included)."""
    if isinstance(value, str):
        return f"{value}{MARK}{value}"
    if isinstance(value, list):
        return [_marked(v) for v in value]
    if isinstance(value, dict):
        return {_marked(k): _marked(v) for k, v in value.items()}
    return value


secret_values = st.one_of(
    st.text().map(_marked),
    json_values.map(_marked),
    json_values.map(_marked).map(json.dumps),
    # Right shape, marked content: the checks read into it.
    st.fixed_dictionaries({"username": st.text(), "password": st.text()}).map(_marked).map(json.dumps),
    st.dictionaries(st.just("mimir"), st.fixed_dictionaries({"username": st.text(), "password": st.text()}))
    .map(_marked).map(json.dumps),
)

BASIC_AUTH = load_settings("test", {**REGIONAL, "remoteWrite": [
    {"name": "mimir", "url": "https://mimir.example.com/push", "basicAuth": True}]}, frozenset(SECRET_KEYS))


@SLOW
@given(key=st.sampled_from(sorted(SECRET_KEYS)), value=secret_values)
def test_a_secret_is_never_shown_whatever_it_holds(key, value):
    try:
        parse_secrets(BASIC_AUTH, {key: value})
    except SettingsError as err:
        assert MARK not in str(err)


@SLOW
@given(key=st.sampled_from(sorted(SECRET_KEYS)), value=secret_values)
def test_a_secret_in_plain_text_is_refused_without_showing_it(key, value):
    try:
        load_settings("test", {**REGIONAL, f"{c.PROJECT_NAME}:{key}": value})
    except SettingsError as err:
        assert MARK not in str(err) and err.key == key
    else:
        raise AssertionError(f"{key} in plain text was accepted")
