"""The one error a bad setting raises, and how messages show values."""

from __future__ import annotations

import difflib
from typing import Any, Iterable


class SettingsError(ValueError):
    """A setting is missing, unknown or holds a value of the wrong shape."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key


def bad(key: str, expected: str, value: Any) -> SettingsError:
    """``key: expected <what>, got <value>``: the shape of every value error."""
    return SettingsError(key, f"expected {expected}, got {value!r}")


def hidden(value: Any) -> str:
    """What a message says instead of a secret's value: its type, never its content."""
    kind = {str: "string", dict: "mapping", list: "list", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else "value")
    return f"a {kind} (hidden: secret)"


def bad_secret(key: str, expected: str, value: Any) -> SettingsError:
    """A value error on a secret: names the key and the expectation, masks the value."""
    return SettingsError(key, f"expected {expected}, got {hidden(value)}")


def unknown(key: str, known: Iterable[str]) -> SettingsError:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return SettingsError(key, f"unknown setting{hint}")
