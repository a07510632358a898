"""Value checks: each takes ``(key, value)`` and returns the typed value or raises.

Every pattern is matched against the whole string (``re.fullmatch`` with
ASCII classes: no trailing-newline hole, no Unicode digits) and every bound
says why it is there. The syntaxes are the ones the consumers enforce:
Kubernetes names and labels (apimachinery's validation), Prometheus durations,
label names and RE2 regexes (Go's ``regexp``, anchored as Prometheus anchors
them), Helm's release-name limit.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from enum import StrEnum
from typing import Any, Callable
from urllib.parse import urlsplit

import re2

from monitoring.settings.errors import SettingsError, bad, unknown

Check = Callable[[str, Any], Any]

# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

# Unicode control characters, lone surrogates and line/paragraph separators.
_UNPRINTABLE = frozenset(("Cc", "Cs", "Zl", "Zp"))


def control_characters(text: str, allow: str = "") -> list[str]:
    """The control characters in ``text`` (those in ``allow`` excepted)."""
    return [ch for ch in text if ch not in allow and unicodedata.category(ch) in _UNPRINTABLE]


def refuse_control_characters(key: str, value: Any, allow: str = "") -> None:
    """Refuse a control character in any string of ``value`` (keys of mappings included)."""
    if isinstance(value, str):
        found = control_characters(value, allow)
        if found:
            raise SettingsError(key, f"control character {found[0]!r} is not allowed, got {value!r}")
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_control_characters(key, k, allow)
            refuse_control_characters(f"{key}.{k}", v, allow)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            refuse_control_characters(f"{key}[{i}]", v, allow)


def pattern(regex: str, expected: str, max_length: int | None = None) -> Check:
    """A string matching ``regex`` in full (ASCII classes), at most ``max_length`` long."""
    compiled = re.compile(regex, re.ASCII)

    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or not compiled.fullmatch(value) or (
                max_length is not None and len(value) > max_length):
            raise bad(key, expected, value)
        return value
    return check


def text(max_length: int, expected: str = "text") -> Check:
    """Any text (control characters are refused for every setting) up to ``max_length``."""
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_length:
            raise bad(key, f"{expected} of at most {max_length} characters", value)
        return value
    return check


def non_empty(check: Check, expected: str = "a non-empty value") -> Check:
    def wrapped(key: str, value: Any) -> Any:
        if value in ("", (), [], {}):
            raise bad(key, expected, value)
        return check(key, value)
    return wrapped


def optional(check: Check) -> Check:
    """``""`` (unset) or a value ``check`` accepts."""
    return lambda key, value: value if value == "" else check(key, value)


# --------------------------------------------------------------------------
# Kubernetes names and labels (k8s.io/apimachinery/pkg/util/validation)
# --------------------------------------------------------------------------

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*"
_QUALIFIED_NAME_PART = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

dns_label = pattern(_DNS1123_LABEL, "a DNS label (lower-case letters, digits and '-')", 63)
# Service names are DNS-1035 labels: they start with a letter.
dns1035_label = pattern(r"[a-z]([-a-z0-9]*[a-z0-9])?",
                        "a DNS-1035 label (a lower-case letter, then letters, digits and '-', at most 63)", 63)
# Helm refuses release names longer than 53 characters (its secrets' names add a suffix).
release_name = pattern(_DNS1123_LABEL, "a Helm release name (lower-case letters, digits and '-', at most 53)", 53)


def dns_subdomain(expected: str = "a DNS name (lower-case labels of letters, digits and '-' joined by '.')") -> Check:
    base = pattern(_DNS1123_SUBDOMAIN, f"{expected}, at most 253 characters", 253)

    def check(key: str, value: Any) -> str:
        base(key, value)
        if any(len(part) > 63 for part in value.split(".")):
            raise bad(key, f"{expected}, each label at most 63 characters", value)
        return value
    return check


def qualified_name(expected: str) -> Check:
    """A Kubernetes qualified name, ``[prefix/]name``: a label key, a provisioner."""
    def check(key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise bad(key, expected, value)
        prefix, slash, name = value.rpartition("/")
        if (not re.fullmatch(_QUALIFIED_NAME_PART, name, re.ASCII) or len(name) > 63
                or (slash and (not re.fullmatch(_DNS1123_SUBDOMAIN, prefix, re.ASCII) or len(prefix) > 253))):
            raise bad(key, expected, value)
        return value
    return check


label_key = qualified_name("a Kubernetes label key like app.kubernetes.io/name")
label_value = pattern(_QUALIFIED_NAME_PART, "a Kubernetes label value", 63)

# --------------------------------------------------------------------------
# Prometheus
# --------------------------------------------------------------------------

_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*", re.ASCII)
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.ASCII)


def prometheus_label_name(key: str, value: Any) -> str:
    """A label name a user may set: Prometheus' syntax, without the reserved ``__`` prefix."""
    if not isinstance(value, str) or not _LABEL_NAME.fullmatch(value) or value.startswith("__"):
        raise bad(key, "a Prometheus label name (letters, digits and '_', not starting with '__')", value)
    return value


# Prometheus' duration syntax (model.ParseDuration): units in descending order, each at most once.
_DURATION = re.compile(r"(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?"
                       r"(?:([0-9]+)s)?(?:([0-9]+)ms)?", re.ASCII)
_DURATION_MS = (31536000000, 604800000, 86400000, 3600000, 60000, 1000, 1)
# model.Duration is a Go time.Duration: int64 nanoseconds, about 292 years.
MAX_DURATION_MS = (2**63 - 1) // 10**6


def _duration_ms(text: str) -> int:
    """Milliseconds in a Prometheus duration, exactly (no float overflow however many digits)."""
    match = _DURATION.fullmatch(text)
    assert match and text, text
    return sum(int(n) * f for n, f in zip(match.groups(), _DURATION_MS) if n)


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration such as ``1h30m``."""
    return _duration_ms(text) / 1000


def duration(minimum: str, maximum: str, reason: str, as_seconds: bool = False) -> Check:
    """A Prometheus duration from ``minimum`` to ``maximum``, kept as text or as seconds."""
    low, high = _duration_ms(minimum), _duration_ms(maximum)
    assert high < MAX_DURATION_MS

    def check(key: str, value: Any) -> str | float:
        # Digit runs long enough to trip Python's int-conversion limit are no duration either.
        if (not isinstance(value, str) or not value or len(value) > 64 or not _DURATION.fullmatch(value)
                or _duration_ms(value) <= 0):
            raise bad(key, "a duration like 30d", value)
        if not low <= _duration_ms(value) <= high:
            raise bad(key, f"a duration from {minimum} to {maximum} ({reason})", value)
        return duration_seconds(value) if as_seconds else value
    return check


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
# RE2 (C++) takes (?<name>...); Go's regexp only from Go 1.22, after Prometheus 2.42.
_ANGLE_NAMED_GROUP = re.compile(r"(?<!\\)(?:\\\\)*\(\?<[A-Za-z_]")


def re2_regex(key: str, value: Any) -> str:
    """A regex Prometheus compiles: Go's RE2 syntax, anchored (``^(?:...)$``)."""
    if not isinstance(value, str):
        raise bad(key, "a regular expression", value)
    try:
        if _ANGLE_NAMED_GROUP.search(value):
            raise re2.error(b"named groups are written (?P<name>...) in the Go of Prometheus 2.42")
        re2.compile(value, _RE2_OPTIONS)
    except re2.error as err:
        reason = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise SettingsError(key, f"invalid regular expression {value!r}: {reason} "
                                 "(Prometheus uses RE2: no lookarounds or backreferences)") from None
    return value


def re2_fullmatch(regex: str, text_: str) -> bool:
    """Whether Prometheus' anchored ``regex`` matches all of ``text_``."""
    return re2.compile(regex, _RE2_OPTIONS).fullmatch(text_) is not None


# --------------------------------------------------------------------------
# Sizes and quantities
# --------------------------------------------------------------------------

# Prometheus' retention size (units.Base2Bytes; the operator's ByteSize pattern).
_BYTE_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?)((?:K|M|G|T|P|E)i?B|B)", re.ASCII)
_BYTE_UNITS = {"B": 1, **{f"{u}{i}B": 1024 ** (n + 1) for n, u in enumerate("KMGTPE") for i in ("", "i")}}


def byte_size_value(text_: str) -> float:
    """Bytes in a Prometheus size such as ``50GB`` (Prometheus counts KB, MB... in powers of 1024)."""
    match = _BYTE_SIZE.fullmatch(text_)
    assert match, text_
    return float(match.group(1)) * _BYTE_UNITS[match.group(2)]


def byte_size(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _BYTE_SIZE.fullmatch(value) or byte_size_value(value) <= 0:
        raise bad(key, "a size like 50GB", value)
    return value


# Kubernetes resource quantities (the suffixed decimal form).
_QUANTITY = re.compile(r"([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?", re.ASCII)
_QUANTITY_FACTORS = {
    None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
}


def quantity_value(text_: str) -> float:
    """The numeric value of a Kubernetes quantity such as ``2Gi`` or ``500m``."""
    match = _QUANTITY.fullmatch(text_)
    assert match, text_
    return float(match.group(1)) * _QUANTITY_FACTORS[match.group(2)]


def cpu(maximum: float, reason: str) -> Check:
    """CPU: cores (``2``) or millicores (``500m``), at least 1m."""
    def check(key: str, value: Any) -> str:
        match = isinstance(value, str) and _QUANTITY.fullmatch(value)
        if not match or match.group(2) not in (None, "m") or quantity_value(value) < 1e-3:
            raise bad(key, "a CPU quantity like 500m or 2", value)
        if quantity_value(value) > maximum:
            raise bad(key, f"at most {maximum:g} CPUs ({reason})", value)
        return value
    return check


def bytes_quantity(example: str, minimum: str, maximum: str, reason: str) -> Check:
    """Bytes with a unit (``Mi``, ``Gi``, ``G``...): never ``m``, which is millibytes."""
    low, high = quantity_value(minimum), quantity_value(maximum)

    def check(key: str, value: Any) -> str:
        match = isinstance(value, str) and _QUANTITY.fullmatch(value)
        if match and match.group(2) == "m":
            raise bad(key, f"bytes like {example} ('m' is milli: {value} would be a fraction of a byte; "
                           "mebibytes are 'Mi')", value)
        if not match or match.group(2) is None or quantity_value(value) <= 0:
            raise bad(key, f"a positive quantity like {example}", value)
        if not low <= quantity_value(value) <= high:
            raise bad(key, f"a size from {minimum} to {maximum} ({reason})", value)
        return value
    return check


# --------------------------------------------------------------------------
# Numbers, choices, lists and maps
# --------------------------------------------------------------------------

def integer(minimum: int, maximum: int, reason: str) -> Check:
    def check(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad(key, "an integer", value)
        if not minimum <= value <= maximum:
            raise bad(key, f"an integer from {minimum} to {maximum} ({reason})", value)
        return value
    return check


def choice(enum: type[StrEnum]) -> Check:
    def check(key: str, value: Any):
        try:
            return enum(value)
        except ValueError:
            raise bad(key, f"one of {', '.join(e.value for e in enum)}", value) from None
    return check


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise bad(key, "true or false", value)
    return value


def each(check: Check, unique: bool = True, max_items: int = 100) -> Check:
    """A list whose every item ``check`` accepts, without repeats; a tuple."""
    def checked(key: str, value: Any) -> tuple:
        if not isinstance(value, (list, tuple)):
            raise bad(key, "a list", value)
        if len(value) > max_items:
            raise bad(key, f"at most {max_items} items", f"{len(value)} items")
        out = tuple(check(key, item) for item in value)
        if unique:
            seen = set()
            for item in value:
                if item in seen:
                    raise SettingsError(key, f"{item!r} is listed twice")
                seen.add(item)
        return out
    return checked


def string_map(key_check: Check, value_check: Check, max_items: int = 64) -> Check:
    """A mapping of checked names to checked strings, sorted by name."""
    def check(key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise bad(key, "a mapping of names to strings", value)
        if len(value) > max_items:
            raise bad(key, f"at most {max_items} entries", f"{len(value)} entries")
        for k, v in value.items():
            key_check(f"{key}.{k}", k)
            if not isinstance(v, str):
                raise bad(f"{key}.{k}", "a string", v)
            value_check(f"{key}.{k}", v)
        return dict(sorted(value.items()))
    return check


def record(fields: dict[str, tuple[Check, Any]], build: Callable[..., Any], required: tuple[str, ...] = ()) -> Check:
    """A mapping with the given fields (``name: (check, default)``), unknown ones refused.

    ``build`` receives the checked fields as keyword arguments (camelCase names
    turned to snake_case).
    """
    def check(key: str, value: Any) -> Any:
        if not isinstance(value, dict):
            raise bad(key, f"a mapping with {', '.join(fields)}", value)
        for name in value:
            if name not in fields:
                raise unknown(f"{key}.{name}", [f"{key}.{f}" for f in fields])
        for name in required:
            if name not in value:
                raise SettingsError(f"{key}.{name}", "is required")
        kwargs = {}
        for name, (field_check, default) in fields.items():
            raw = value.get(name, default)
            kwargs[_snake(name)] = field_check(f"{key}.{name}", raw)
        return build(**kwargs)
    return check


def records(item: Check, unique_by: tuple[str, ...] = (), max_items: int = 100) -> Check:
    """A list of ``item`` records; ``unique_by`` attributes may not repeat."""
    def check(key: str, value: Any) -> tuple:
        if not isinstance(value, list):
            raise bad(key, "a list of mappings", value)
        if len(value) > max_items:
            raise bad(key, f"at most {max_items} entries", f"{len(value)} entries")
        out, seen = [], {attr: set() for attr in unique_by}
        for i, entry in enumerate(value):
            built = item(f"{key}[{i}]", entry)
            for attr in unique_by:
                if getattr(built, attr) in seen[attr]:
                    raise SettingsError(f"{key}[{i}].{attr}", f"{getattr(built, attr)!r} appears twice")
                seen[attr].add(getattr(built, attr))
            out.append(built)
        return tuple(out)
    return check


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


# --------------------------------------------------------------------------
# Network: hosts, ports, endpoints, URLs, CIDRs
# --------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?", re.ASCII)


def is_host(host: str) -> bool:
    """A DNS name (RFC 1123, any case) or an IP address."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return 0 < len(host) <= 253 and all(_HOST_LABEL.fullmatch(p) and len(p) <= 63 for p in labels)


port = integer(1, 65535, "TCP ports are 16-bit, 0 is not a port")


def endpoint(key: str, value: Any) -> str:
    """``host:port`` (``[v6]:port`` for an IPv6 address)."""
    if isinstance(value, str):
        host, colon, number = value.rpartition(":")
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
            ok_host = ":" in host and is_host(host)
        else:
            ok_host = ":" not in host and is_host(host)
        if colon and ok_host and re.fullmatch(r"[0-9]{1,5}", number, re.ASCII) and 0 < int(number) < 65536:
            return value
    raise bad(key, "host:port with a DNS name or IP address and a port from 1 to 65535", value)


def url(schemes: tuple[str, ...] = ("http", "https"), fragment: bool = True) -> Check:
    """An absolute URL of one of ``schemes`` with a valid host and port, no credentials."""
    names = " or ".join(f"{s}://" for s in schemes)
    expected = f"an {names} URL" + ("" if fragment else " without a #fragment")

    def check(key: str, value: Any) -> str:
        if not isinstance(value, str) or any(ch.isspace() for ch in value):
            raise bad(key, expected, value)
        try:
            parts = urlsplit(value)
            port_ = parts.port
        except ValueError:
            raise bad(key, expected, value) from None
        if parts.scheme not in schemes or not parts.hostname or not is_host(parts.hostname) or port_ == 0:
            raise bad(key, expected, value)
        if not fragment and "#" in value:
            raise bad(key, expected, value)
        if parts.username is not None or parts.password is not None:
            raise SettingsError(key, "credentials do not belong in a URL: set them as a secret")
        return value
    return check


# RFC 1918, RFC 6598 (shared address space, used for secondary VPC ranges) and IPv6 unique-local.
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in
                         ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"))


def private_cidr(key: str, value: Any) -> str:
    """A CIDR inside a private range: what an internal load balancer may be opened to."""
    try:
        network = ipaddress.ip_network(value, strict=False) if isinstance(value, str) and "/" in value else None
    except ValueError:
        network = None
    if network is None:
        raise bad(key, "a CIDR like 10.0.0.0/8", value)
    if not any(network.version == p.version and network.subnet_of(p) for p in PRIVATE_NETWORKS):
        raise bad(key, "a private CIDR (inside " + ", ".join(map(str, PRIVATE_NETWORKS))
                  + "): an internal load balancer is not opened to public addresses", value)
    return value
