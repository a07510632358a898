"""A stack's own rules (the ``customRules`` setting), parsed and checked completely.

Everything Prometheus checks when it loads a rule file is checked here, before
anything is deployed: the rule's name, its PromQL and the type of its result
(a rule's expression must give an instant vector or a scalar), its label and
annotation names, and the Go templates in label values and annotations. Names
that clash with the program's own rules are refused where the groups are built
(:func:`monitoring.settings.cross.check_rule_names`).
"""

from __future__ import annotations

import re
from typing import Any

import promql_parser

from monitoring import conventions as c
from monitoring.resources import AlertingRule, InvalidResource, RecordingRule
from monitoring.settings.checks import METRIC_NAME, duration, prometheus_label_name, refuse_control_characters
from monitoring.settings.errors import SettingsError, bad, unknown

_ALERT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*", re.ASCII)
_KEYS = ("record", "alert", "expr", "for", "labels", "annotations")
_SEVERITIES = (c.SEVERITY_CRITICAL, c.SEVERITY_WARNING)
_FOR = duration("1s", "1w", "an alert pending for longer than a week never fires in time")
# Expressions and annotations are often written as multi-line YAML blocks.
MULTILINE = "\n\t"
MAX_RULES = 500  # a stack's own rules; the program's groups hold a few dozen

# --------------------------------------------------------------------------
# PromQL result type
# --------------------------------------------------------------------------


def result_type(expr: Any) -> str:
    """``vector``, ``scalar``, ``matrix`` or ``string``: what a parsed expression evaluates to."""
    name = type(expr).__name__
    if name in ("ParenExpr", "UnaryExpr"):
        return result_type(expr.expr)
    if name in ("MatrixSelector", "SubqueryExpr"):
        return "matrix"
    if name == "StringLiteral":
        return "string"
    if name == "NumberLiteral":
        return "scalar"
    if name == "BinaryExpr":
        return "scalar" if {result_type(expr.lhs), result_type(expr.rhs)} == {"scalar"} else "vector"
    if name == "Call":
        return str(expr.func.return_type).rpartition(".")[2].lower()
    return "vector"  # selectors and aggregations


def check_expression(at: str, owner: str, expr: Any) -> str:
    """``expr`` of the rule at ``at`` (``customRules[i]``), named ``owner`` (``alert 'X'``)."""
    if not isinstance(expr, str) or not expr.strip():
        raise bad(f"{at}.expr", f"the PromQL expression of {owner}", expr)
    try:
        parsed = promql_parser.parse(expr)
    except Exception as err:  # the parser raises a bare exception type
        raise SettingsError(at, f"{owner}: invalid PromQL: {err}") from None
    kind = result_type(parsed)
    if kind not in ("vector", "scalar"):
        raise SettingsError(f"{at}.expr", f"{owner}: a rule's expression must give an instant vector or a scalar, "
                                          f"{expr!r} gives a {'range vector' if kind == 'matrix' else kind}")
    return expr


# --------------------------------------------------------------------------
# Go templates (what Prometheus expands in alert labels and annotations)
# --------------------------------------------------------------------------

_OPENERS = ("if", "range", "with", "define", "block")


def template_error(text: str) -> str | None:
    """Why Go's text/template would refuse ``text``, or None.

    Checks the structure Prometheus' loader checks: every ``{{`` closed, no
    empty action, quotes and parentheses closed inside an action, every
    ``if``/``range``/``with``/``define``/``block`` closed by one ``end``.
    """
    open_blocks: list[str] = []
    at = 0
    while (start := text.find("{{", at)) >= 0:
        i, quote, depth = start + 2, None, 0
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\" and quote != "`":
                    i += 1
                elif ch == quote:
                    quote = None
                elif ch == "\n" and quote != "`":
                    return f"unterminated quoted string in the action at position {start}"
            elif ch in "\"'`":
                quote = ch
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth < 0:
                    return f"unexpected ')' in the action at position {start}"
            elif text.startswith("}}", i):
                break
            i += 1
        else:
            return f"unclosed action at position {start}" if not quote else \
                f"unterminated quoted string in the action at position {start}"
        body = text[start + 2:i]
        body = body[2:] if body.startswith("- ") else body
        body = body[:-2] if body.endswith(" -") else body
        body = body.strip()
        if depth:
            return f"unclosed '(' in the action at position {start}"
        if not body:
            return f"empty action at position {start}"
        if body.startswith("/*"):
            if not body.endswith("*/"):
                return f"unclosed comment at position {start}"
        else:
            word = body.split()[0]
            if word in _OPENERS:
                open_blocks.append(word)
            elif word == "end":
                if not open_blocks:
                    return f"unexpected {{{{end}}}} at position {start}"
                open_blocks.pop()
            elif word == "else" and not open_blocks:
                return f"unexpected {{{{else}}}} at position {start}"
        at = i + 2
    if open_blocks:
        return f"{{{{{open_blocks[-1]}}}}} without {{{{end}}}}"
    return None


def check_template(key: str, name: str, value: str) -> str:
    if "{%" in value:
        raise SettingsError(key, f"alert {name!r}: Jinja markup ('{{%') is not a Prometheus template")
    error = template_error(value)
    if error:
        raise SettingsError(key, f"rule {name!r}: invalid template {value!r}: {error}")
    return value


def _string_map(key: str, name: str, value: Any, templates: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        raise bad(key, f"a mapping of names to strings in rule {name!r}", value)
    for k, v in value.items():
        prometheus_label_name(key, k)
        if not isinstance(v, str):
            raise bad(f"{key}.{k}", "a string", v)
        if templates:
            check_template(f"{key}.{k}", name, v)
    return dict(sorted(value.items()))


# --------------------------------------------------------------------------
# The setting
# --------------------------------------------------------------------------

def parse_custom_rules(key: str, raw: Any) -> tuple[RecordingRule | AlertingRule, ...]:
    """The customRules setting as typed rules, every field checked.

    Alerts without a severity label are warnings; every alert needs a summary
    and a description annotation.
    """
    if not isinstance(raw, list):
        raise bad(key, "a list of rules", raw)
    if len(raw) > MAX_RULES:
        raise bad(key, f"at most {MAX_RULES} rules", f"{len(raw)} rules")
    rules: list[RecordingRule | AlertingRule] = []
    taken: set[str] = set()
    for i, entry in enumerate(raw):
        at = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise bad(at, f"a mapping with {', '.join(_KEYS)}", entry)
        for k in entry:
            if k not in _KEYS:
                raise unknown(f"{at}.{k}", [f"{at}.{r}" for r in _KEYS])
        refuse_control_characters(at, {k: v for k, v in entry.items() if k not in ("expr", "annotations")})
        is_alert = "alert" in entry
        if is_alert == ("record" in entry):
            raise SettingsError(at, f"needs exactly one of 'record' and 'alert', got {sorted(entry)}")
        kind = "alert" if is_alert else "record"
        name = entry[kind]
        if not isinstance(name, str) or not (_ALERT_NAME if is_alert else METRIC_NAME).fullmatch(name):
            raise bad(f"{at}.{kind}", "an alert name like AgentSlow" if is_alert
                      else "a metric name like mcp_mesh:my_ratio", name)
        if name in taken:
            raise SettingsError(f"{at}.{kind}", f"rule {name!r} is already defined")
        taken.add(name)
        expr = check_expression(at, f"alert {name!r}" if is_alert else f"recording rule {name!r}", entry.get("expr"))
        labels = _string_map(f"{at}.labels", name, entry.get("labels", {}), templates=is_alert)
        try:
            if not is_alert:
                if "for" in entry or "annotations" in entry:
                    raise SettingsError(at, f"recording rule {name!r} takes no 'for' or 'annotations'")
                rules.append(RecordingRule(record=name, expr=expr, labels=labels))
                continue
            annotations = _string_map(f"{at}.annotations", name, entry.get("annotations", {}), templates=True)
            for required in (c.ANNOTATION_SUMMARY, c.ANNOTATION_DESCRIPTION):
                if not annotations.get(required, "").strip():
                    raise SettingsError(f"{at}.annotations", f"alert {name!r} needs a {required!r} annotation")
            labels.setdefault(c.LABEL_SEVERITY, c.SEVERITY_WARNING)
            if labels[c.LABEL_SEVERITY] not in _SEVERITIES:
                raise bad(f"{at}.labels.{c.LABEL_SEVERITY}", " or ".join(_SEVERITIES), labels[c.LABEL_SEVERITY])
            for_ = _FOR(f"{at}.for", entry["for"]) if "for" in entry else None
            rules.append(AlertingRule(alert=name, expr=expr, for_=for_, labels=labels, annotations=annotations))
        except InvalidResource as err:
            raise SettingsError(at, str(err)) from None
    return tuple(rules)
