"""The real program under mocks: a bad setting or secret stops it before anything is registered."""

from __future__ import annotations

import pytest

from monitoring import conventions as c
from monitoring.settings import SettingsError
from tests.pulumi.harness import Run, run_program, stack_config
from tests.unit.test_settings_bad_inputs import BAD_INPUTS, SECRETS

STACK = "prod-us-east-1"
GOOD_SECRETS = {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/services/T0/B0/xyzzy-webhook"}


@pytest.mark.parametrize("kind, overrides, message", BAD_INPUTS,
                         ids=[f"{kind}:{message.split(':')[0]}:{i}" for i, (kind, _, message) in enumerate(BAD_INPUTS)])
def test_a_bad_setting_registers_nothing(kind, overrides, message):
    run = Run()
    config = {**stack_config(STACK), **overrides}
    if overrides.get("role") == "global":
        config.pop("region", None)
    with pytest.raises(SettingsError) as err:
        run_program(STACK, config, GOOD_SECRETS, run=run)
    # The engine hands every value as a string (True arrives as 'true'): the
    # exact messages are the unit tests'; here the same key fails.
    assert err.value.key == message.split(": ")[0]
    assert run.registrations == []


@pytest.mark.parametrize("overrides, key, value, message", SECRETS,
                         ids=[f"secrets:{m.split(':')[0]}:{i}" for i, (_, _, _, m) in enumerate(SECRETS)])
def test_a_bad_secret_registers_nothing_and_is_never_shown(overrides, key, value, message, capsys):
    run = Run()
    with pytest.raises(SettingsError) as err:
        run_program(STACK, {**stack_config(STACK), **overrides}, {**GOOD_SECRETS, key: value}, run=run)
    assert str(err.value) == message
    assert run.registrations == []
    out = capsys.readouterr()
    if value:
        assert value not in str(err.value) + out.out + out.err
