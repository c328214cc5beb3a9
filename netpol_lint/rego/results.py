"""Rule values -> policy results (conftest's result conventions, plus position hints).

A package's rules whose names are ``deny``, ``violation`` or ``warn``, optionally followed by
``_something`` (``deny_latest_tag``), produce results; every other rule is a helper.  A rule
value may be:

* a set/array of **strings** (the message), or of **objects** with ``msg`` and optional keys:
  ``_loc`` (where in the resource: a list of keys/indices like
  ``["spec", "template", "metadata", "labels"]`` or a dotted string like
  ``"spec.template.spec.containers[0].ports"``), ``resource`` (``{"kind", "name",
  "namespace"}`` or ``"Kind/ns/name"``, for ``--combine``) and ``filepath``/``path`` (the file
  a combined result is about, Trivy's key);
* a v0-style partial set (``deny[msg] { … }``): rego-cpp evaluates it with Rego v1 semantics
  as an object whose keys are the messages and whose values are ``true``; it is read back as
  the set it was meant to be;
* ``true`` or a string (a complete rule): one result.

Anything else yields nothing rather than an error: a helper rule named ``deny_count`` that
holds a number is not a result.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

RULE_SET_RE = re.compile(r"^(deny|violation|warn)(_[A-Za-z0-9_]+)?$")
_STEP_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[['\"]([^'\"]+)['\"]\]")


@dataclass(frozen=True)
class PolicyResult:
    package: str
    rule: str                     # the Rego rule name, e.g. deny_latest_tag
    message: str
    loc: tuple = ()               # path inside the resource (may be empty)
    resource: tuple | None = None  # (kind, namespace|None, name) named by a combined result
    filepath: str | None = None


def parse_loc(value) -> tuple:
    """A ``_loc`` hint as a path tuple (unknown shapes give ``()``: the resource itself)."""
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, (str, int)) and not isinstance(v, bool))
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("$"):
            text = text[1:]
        out: list = []
        for m in _STEP_RE.finditer(text.lstrip(".")):
            if m.group(1) is not None:
                out.append(m.group(1))
            elif m.group(2) is not None:
                out.append(int(m.group(2)))
            else:
                out.append(m.group(3))
        return tuple(out)
    if isinstance(value, dict):
        return parse_loc(value.get("path", value.get("field")))
    return ()


def parse_resource(value) -> tuple | None:
    if isinstance(value, dict):
        kind, name = value.get("kind"), value.get("name")
        ns = value.get("namespace")
        if isinstance(kind, str) and isinstance(name, str):
            return (kind, ns if isinstance(ns, str) and ns else None, name)
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) == 3:
            return (parts[0], parts[1] or None, parts[2])
        if len(parts) == 2:
            return (parts[0], None, parts[1])
    return None


def _items(value) -> list:
    if value is True:
        return [True]
    if isinstance(value, (str, list)):
        return [value] if isinstance(value, str) else list(value)
    if isinstance(value, dict):
        if value and all(v is True for v in value.values()):
            out = []
            for key in value:
                try:
                    decoded = json.loads(key)
                except (ValueError, TypeError):
                    decoded = key
                out.append(decoded if isinstance(decoded, dict) else key)
            return out
        if "msg" in value:          # a complete rule holding one result object
            return [value]
    return []


def results_of(package: str, values: dict) -> list[PolicyResult]:
    """Every result of one evaluated package (``values``: rule name -> value), sorted."""
    out: list[PolicyResult] = []
    if not isinstance(values, dict):
        return out
    for rule in sorted(values):
        if not isinstance(rule, str) or not RULE_SET_RE.match(rule):
            continue
        for item in _items(values[rule]):
            out.append(_result(package, rule, item))
    return sorted(set(out), key=lambda r: (r.rule, r.message, r.loc, r.resource or (), r.filepath or ""))


def _result(package: str, rule: str, item) -> PolicyResult:
    if item is True:
        return PolicyResult(package, rule, f"{package}.{rule} is true")
    if isinstance(item, str):
        return PolicyResult(package, rule, item or f"{package}.{rule}")
    if isinstance(item, dict):
        msg = item.get("msg")
        if not isinstance(msg, str) or not msg:
            msg = json.dumps(msg if msg is not None else item, sort_keys=True)
        path = item.get("filepath", item.get("path"))
        return PolicyResult(package, rule, msg, parse_loc(item.get("_loc")),
                            parse_resource(item.get("resource")), path if isinstance(path, str) else None)
    return PolicyResult(package, rule, json.dumps(item, sort_keys=True))
