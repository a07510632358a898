"""Secret settings: shape and content checked before anything is created, never echoed.

Every message here names the key (and the field) and what was expected, and
says only the type of what it got: a secret's text never appears in an error.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Mapping

from monitoring import conventions as c
from monitoring.settings.checks import control_characters, url
from monitoring.settings.errors import SettingsError, bad_secret

# PEM armour of one certificate (RFC 7468): base64 lines between the markers.
_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END CERTIFICATE-----",
                        re.ASCII)
_MIN_PASSWORD = 8  # below this a password is guessed online
_MAX_TEXT = 4096
_https_url = url(("https",))


def _text(key: str, value: Any, minimum: int = 1, allow: str = "") -> str:
    if not isinstance(value, str) or not minimum <= len(value) <= _MAX_TEXT:
        raise bad_secret(key, f"a string of {minimum} to {_MAX_TEXT} characters", value)
    if control_characters(value, allow):
        raise bad_secret(key, "text without control characters", value)
    return value


def _object(key: str, value: Any) -> Any:
    """An object secret: typed already, or JSON as the engine passes it."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise bad_secret(key, "a JSON object", value) from None
    return value


def password(key: str, value: Any) -> str:
    return _text(key, value, _MIN_PASSWORD)


def https_url(key: str, value: Any) -> str:
    _text(key, value)
    try:
        return _https_url(key, value)
    except SettingsError:
        raise bad_secret(key, "an https:// URL", value) from None


def routing_key(key: str, value: Any) -> str:
    """A PagerDuty integration (routing) key: 32 letters and digits."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9]{32}", value, re.ASCII):
        raise bad_secret(key, "a PagerDuty routing key (32 letters and digits)", value)
    return value


def pem_certificates(key: str, value: Any) -> str:
    """One or more PEM certificates, each body valid base64 of a DER sequence."""
    _text(key, value, allow="\r\n")
    blocks = list(_PEM_BLOCK.finditer(value))
    rest = _PEM_BLOCK.sub("", value)
    if not blocks or rest.strip():
        raise bad_secret(key, "PEM certificates (-----BEGIN CERTIFICATE----- ...)", value)
    for block in blocks:
        try:
            der = base64.b64decode(re.sub(r"\s", "", block.group(1)), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        if not der.startswith(b"\x30"):
            raise bad_secret(key, "PEM certificates whose bodies are base64 DER", value)
    return value


def credentials(key: str, value: Any) -> dict[str, str]:
    """``{username, password}``: an htpasswd user (no ':') and a password."""
    return _credentials(key, _object(key, value))


def _credentials(key: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != {"username", "password"}:
        raise bad_secret(key, "a mapping with exactly username and password", value)
    username = _text(f"{key}.username", value["username"])
    if ":" in username or any(ch.isspace() for ch in username):
        raise bad_secret(f"{key}.username", "a user name without ':' or spaces", username)
    return {"username": username, "password": password(f"{key}.password", value["password"])}


def credentials_by_target(key: str, value: Any) -> dict[str, dict[str, str]]:
    """``{<remote-write target name>: {username, password}}``."""
    value = _object(key, value)
    if not isinstance(value, dict):
        raise bad_secret(key, "a mapping of remote-write target names to {username, password}", value)
    out = {}
    for i, (name, entry) in enumerate(value.items()):
        # A target's name is not secret, but a mistyped one might be a password: never shown.
        out[name] = _credentials(f"{key}[entry {i + 1}]", entry)
    return out


def check_secret_values(specs: Mapping[str, Any], values: Mapping[str, Any],
                        basic_auth_targets: tuple[str, ...]) -> dict[str, Any]:
    """Every secret value checked and parsed; credentials matched to the remote-write targets."""
    parsed = {key: specs[key].check(key, value) for key, value in sorted(values.items())}
    if c.SECRET_REMOTE_WRITE_CREDENTIALS in parsed:
        given = parsed[c.SECRET_REMOTE_WRITE_CREDENTIALS]
        for name in basic_auth_targets:
            if name not in given:
                raise SettingsError(c.SECRET_REMOTE_WRITE_CREDENTIALS,
                                    f"no credentials for remote-write target {name!r} (it has basicAuth: true)")
        if len(given) != len(basic_auth_targets):
            raise SettingsError(c.SECRET_REMOTE_WRITE_CREDENTIALS,
                                f"holds credentials for targets other than {list(basic_auth_targets)} "
                                "(the remote-write targets with basicAuth: true)")
    return parsed
