"""Declarative rules: single-resource checks written as YAML + JSONPath, no Python.

One reusable template (kube-linter's "checks as data over templates"): pick resources by
``match``, evaluate JSONPath ``select`` queries (parsed once, cached), keep the matches that
satisfy every ``where`` condition, and report each with a message template.  Positions come
from the match's path, so a finding points at the offending key or value.

File format (see README "Writing declarative rules")::

    id: ACME001
    name: no-host-network
    severity: warning
    summary: Checks for pods on the host network.
    rationale: ...
    bad_example: |
      ...
    good_example: |
      ...
    fix: Remove hostNetwork.
    match: {kinds: ["Deployment", "Pod"], apiVersions: ["*"]}
    scope: pod-template            # or: resource (default)
    select: "spec.hostNetwork"     # one JSONPath or a list
    where: {equals: true}
    report_at: value               # or: key
    message: "{kind} {namespace}/{name} uses the host network"
    autofix: {set_value: "allowed"}   # or {rename_to_suggestion: true}; optional

``where`` keys: equals, not_equals, in, not_in, regex, not_regex, type (string, integer,
boolean, mapping, sequence, null), key_in, key_not_in, key_regex.  ``suggest_from`` (a list)
offers the closest candidate to the matched key as ``{suggestion}`` (and ``{did_you_mean}``,
"; did you mean X?" or empty).  Message fields: key, value, path, kind, namespace, name.
"""
from __future__ import annotations

import difflib
import re
import string
from fnmatch import fnmatchcase
from functools import lru_cache
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeGuard

from jsonpath_ng import jsonpath
from jsonpath_ng.exceptions import JsonPathLexerError, JsonPathParserError
from jsonpath_ng.ext.parser import parse as jsonpath_parse

from ..errors import PluginError
from .findings import LabelFix
from ..load.loader import YAMLDataError, load_yaml_data
from ..model.resources import Resource, Workload
from .findings import Finding
from .rulebase import Rule

if TYPE_CHECKING:  # pragma: no cover
    from .linter import LintContext

# A key/index path from a document (or pod template) root, as Resource.locate takes it.
NodePath = tuple[str | int, ...]

DOC_FIELDS = {"id", "name", "severity", "enabled", "fixable", "summary", "rationale", "bad_example",
              "good_example", "fix", "tags"}
CHECK_FIELDS = {"match", "scope", "select", "where", "report_at", "message", "suggest_from", "autofix"}
WHERE_KEYS = {"equals", "not_equals", "in", "not_in", "regex", "not_regex", "type", "key_in", "key_not_in",
              "key_regex"}
TYPES = {"string": str, "integer": int, "boolean": bool, "mapping": dict, "sequence": list, "null": type(None)}


MAX_FIELD_CHARS = 200
MAX_MESSAGE_CHARS = 2000


class _MessageFormatter(string.Formatter):
    """``str.format`` for messages from rule files, which may come from the linted repository:
    only ``{field}``, ``{field!r}`` and ``{field!s}``; format specs (``{value:>2000000000}``
    would allocate gigabytes), attribute and index access are refused, values are shortened."""

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not field_name.isidentifier():
            raise ValueError(f"field {field_name!r} is not allowed")
        return super().get_field(field_name, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> str:
        if conversion not in (None, "r", "s"):
            raise ValueError(f"conversion !{conversion} is not allowed")
        text = repr(value) if conversion == "r" else str(value)
        return text if len(text) <= MAX_FIELD_CHARS else text[:MAX_FIELD_CHARS] + "..."

    def format_field(self, value: Any, format_spec: str) -> Any:
        if format_spec:
            raise ValueError("format specs are not allowed in rule messages")
        return value


def render_message(template: str, fields: dict[str, Any]) -> str:
    """The finding message; a template that breaks the rules above is shown as written."""
    try:
        out = _MessageFormatter().format(template, **fields)
    except (KeyError, IndexError, ValueError, AttributeError):
        out = template
    return out if len(out) <= MAX_MESSAGE_CHARS else out[:MAX_MESSAGE_CHARS] + "..."


class RuleFileError(PluginError):
    """A declarative rule file that is not valid (exit 2, naming file and key)."""


@lru_cache(maxsize=None)
def compiled_path(expr: str) -> jsonpath.JSONPath:
    """Parse a JSONPath once per process (jsonpath-ng's parser is slow; rules reuse queries)."""
    return jsonpath_parse(expr)


def match_path(match: jsonpath.DatumInContext) -> NodePath:
    """The key/index path of a jsonpath-ng match, for position lookup."""
    steps: list[str | int] = []
    cur: jsonpath.DatumInContext | None = match
    while cur is not None:
        p = cur.path
        if isinstance(p, jsonpath.Fields):
            steps.append(p.fields[0])
        elif isinstance(p, jsonpath.Index):
            # jsonpath-ng >= 1.6.1 keeps `indices`, older releases one `index`; read both
            # through getattr so the check passes whichever release is installed
            indices = getattr(p, "indices", None)
            steps.append(indices[0] if indices is not None else getattr(p, "index"))
        cur = cur.context
    return tuple(reversed(steps))


def named_steps(query: jsonpath.JSONPath) -> tuple[str, ...] | None:
    """The field names of a query that is only a chain of single named fields
    (``metadata.labels.'x'``), else None.

    Such a query finds at most one match: the value at that path when every step is a key
    of a mapping (jsonpath-ng's ``Fields`` semantics), so rules evaluate it with dict
    look-ups instead of jsonpath-ng's per-step match objects (most of a declarative rule's
    time on large inputs).  ``*`` is left to jsonpath-ng (a wildcard in older versions).
    """
    steps: list[str] = []
    node = query
    while type(node) is jsonpath.Child:
        if not _single_field(node.right):
            return None
        steps.append(node.right.fields[0])
        node = node.left
    if not _single_field(node):
        return None
    steps.append(node.fields[0])
    return tuple(reversed(steps))


def wildcard_prefix(query: jsonpath.JSONPath) -> tuple[str, ...] | None:
    """For ``a.b.*`` (named fields, then a wildcard): the named steps, else None.

    On a mapping, every jsonpath-ng version gives each member in order with its key as the
    last path step; what a wildcard gives on a sequence differs between versions, so the
    caller leaves every other case to jsonpath-ng.
    """
    if type(query) is not jsonpath.Child or getattr(jsonpath, "auto_id_field", None) is not None:
        return None
    right = query.right
    is_wildcard = (type(right) is getattr(jsonpath, "Wildcard", ()) or
                   (type(right) is jsonpath.Fields and tuple(right.fields) == ("*",)))
    return named_steps(query.left) if is_wildcard else None


def _single_field(node: jsonpath.JSONPath) -> TypeGuard[jsonpath.Fields]:
    return (type(node) is jsonpath.Fields and len(node.fields) == 1 and isinstance(node.fields[0], str)
            and node.fields[0] != "*" and node.fields[0] != getattr(jsonpath, "auto_id_field", None)
            and not getattr(node, "_deprecated_wildcard_use", False))


class DeclarativeRule(Rule):
    """A rule defined by data; one instance per rule file."""

    def __init__(self, spec: dict[str, Any], source: str):
        self.source = source
        self.id = spec["id"]
        self.name = spec["name"]
        self.severity = spec.get("severity", "warning")
        self.enabled_by_default = spec.get("enabled", True)
        self.summary = spec.get("summary", "")
        self.rationale = spec.get("rationale", "")
        self.bad_example = spec.get("bad_example", "")
        self.good_example = spec.get("good_example", "")
        self.fix_text = spec.get("fix", "")
        self.tags = tuple(spec.get("tags", ()))
        self.autofix = spec.get("autofix") or {}
        self.fixable = bool(self.autofix) or bool(spec.get("fixable", False))
        m = spec.get("match") or {}
        self.kinds = tuple(m.get("kinds", ["*"]))
        self.api_versions = tuple(m.get("apiVersions", ["*"]))
        self.scope = spec.get("scope", "resource")
        sel = spec["select"]
        self.selects = tuple(sel if isinstance(sel, list) else [sel])
        self.queries = tuple(compiled_path(s) for s in self.selects)
        self._steps = tuple(named_steps(q) for q in self.queries)
        self._members_of = tuple(wildcard_prefix(q) for q in self.queries)
        self._applies: dict[tuple[str, str], bool] = {}
        self.where = spec.get("where") or {}
        self.report_at = spec.get("report_at", "value")
        self.message = spec["message"]
        self.suggest_from = tuple(spec.get("suggest_from", ()))
        self._regex = {k: re.compile(v) for k, v in self.where.items() if k in ("regex", "not_regex", "key_regex")}

    # -- evaluation ------------------------------------------------------------------
    def applies_to(self, r: Resource) -> bool:
        key = (r.kind, r.api_version)
        hit = self._applies.get(key)
        if hit is None:
            hit = self._applies[key] = (any(fnmatchcase(r.kind, k) for k in self.kinds)
                                        and any(fnmatchcase(r.api_version, a) for a in self.api_versions))
        return hit

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        node_path: Callable[[NodePath], NodePath]
        for r in ctx.model.resources:
            if not self.applies_to(r):
                continue
            if self.scope == "pod-template":
                if not isinstance(r, Workload):
                    continue
                # a node of the pod template, placed in the object (a Function's labels are
                # its spec.labels: Workload.template_node_path)
                root, node_path = r.template, r.template_node_path
            else:
                root, node_path = r.data, tuple
            yield from self._check_one(r, root, node_path)

    def _check_one(self, r: Resource, root: Any, node_path: Callable[[NodePath], NodePath]) -> Iterator[Finding]:
        seen: set[NodePath] = set()
        for q, steps, members_of in zip(self.queries, self._steps, self._members_of):
            if members_of is not None:     # `a.b.*`: the members of a mapping, in order
                value = root
                for step in members_of:
                    if type(value) is not dict or step not in value:
                        value = None
                        break
                    value = value[step]
                if type(value) is dict:
                    for k, v in value.items():
                        path: NodePath = members_of + (k,)
                        if path in seen:
                            continue
                        seen.add(path)
                        if self._holds(k, v):
                            yield self._report(r, node_path(path), k, v)
                    continue
                if value is None:
                    continue               # the prefix is absent: nothing matches
            if steps is not None:          # a plain field chain: dict look-ups, same answer
                value = root
                for step in steps:
                    if type(value) is not dict or step not in value:
                        break
                    value = value[step]
                else:
                    if steps not in seen:
                        seen.add(steps)
                        key: str | int | None = steps[-1]
                        if self._holds(key, value):
                            yield self._report(r, node_path(steps), key, value)
                continue
            try:
                matches = q.find(root)
            except Exception:  # wrong types under the path: nothing to report here
                continue
            for m in matches:
                path = match_path(m)
                if path in seen:
                    continue
                seen.add(path)
                key = path[-1] if path else None
                if not self._holds(key, m.value):
                    continue
                yield self._report(r, node_path(path), key, m.value)

    def _holds(self, key: Any, value: Any) -> bool:
        w = self.where
        if "equals" in w and value != w["equals"]:
            return False
        if "not_equals" in w and value == w["not_equals"]:
            return False
        if "in" in w and value not in w["in"]:
            return False
        if "not_in" in w and value in w["not_in"]:
            return False
        if "regex" in w and not (isinstance(value, str) and self._regex["regex"].search(value)):
            return False
        if "not_regex" in w and isinstance(value, str) and self._regex["not_regex"].search(value):
            return False
        if "type" in w:
            t = TYPES[w["type"]]
            if not isinstance(value, t) or (t is int and isinstance(value, bool)):
                return False
        if "key_in" in w and key not in w["key_in"]:
            return False
        if "key_not_in" in w and key in w["key_not_in"]:
            return False
        if "key_regex" in w and not (isinstance(key, str) and self._regex["key_regex"].search(key)):
            return False
        return True

    def _report(self, r: Resource, path: NodePath, key: Any, value: Any) -> Finding:
        suggestion = ""
        if self.suggest_from and isinstance(key, str):
            close = difflib.get_close_matches(key, self.suggest_from, n=2, cutoff=0.6)
            if close:
                suggestion = close[0]
        fields = {
            "key": key, "value": value, "path": ".".join(str(p) for p in path), "suggestion": suggestion,
            "did_you_mean": f"; did you mean {suggestion}?" if suggestion else "",
            "kind": r.kind, "namespace": r.namespace or "", "name": r.name,
        }
        message = render_message(self.message, fields)
        loc = r.locate(*path, key=self.report_at == "key")
        fix = self._fix(r, path, key, value, suggestion)
        return self.finding(r, loc, message, fix=fix, node_hint=[list(map(str, path)), str(value)])

    def _fix(self, r: Resource, path: NodePath, key: Any, value: Any, suggestion: str) -> LabelFix | None:
        if not self.autofix or not isinstance(key, str) or len(path) < 1:
            return None
        parent = r.base + path[:-1]
        if "set_value" in self.autofix:
            return LabelFix(r.file, r.doc.index, parent, set=((key, str(self.autofix["set_value"])),))
        if self.autofix.get("rename_to_suggestion") and suggestion:
            close = difflib.get_close_matches(key, self.suggest_from, n=2, cutoff=0.6)
            if len(close) == 1 or (len(close) == 2 and difflib.SequenceMatcher(None, key, close[0]).ratio()
                                   > difflib.SequenceMatcher(None, key, close[1]).ratio() + 0.05):
                return LabelFix(r.file, r.doc.index, parent, set=((suggestion, _scalar_str(value)),), remove=(key,))
        return None


def _scalar_str(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def load_rule_file(path: str, source: str | None = None) -> DeclarativeRule:
    """Parse and validate one declarative rule file."""
    try:
        with open(path, encoding="utf-8") as fh:
            spec = load_yaml_data(fh.read())
    except (OSError, UnicodeDecodeError, YAMLDataError) as exc:
        raise RuleFileError(f"{path}: cannot read rule file: {exc}") from None
    return rule_from_spec(spec, source or path)


def rule_from_spec(spec: Any, where: str) -> DeclarativeRule:
    if not isinstance(spec, dict):
        raise RuleFileError(f"{where}: a rule file must be a mapping")
    unknown = set(spec) - DOC_FIELDS - CHECK_FIELDS
    if unknown:
        raise RuleFileError(f"{where}: unknown key '{sorted(unknown)[0]}'")
    for required in ("id", "name", "summary", "select", "message"):
        if not spec.get(required):
            raise RuleFileError(f"{where}: missing '{required}'")
    if spec.get("scope", "resource") not in ("resource", "pod-template"):
        raise RuleFileError(f"{where}: 'scope' must be 'resource' or 'pod-template'")
    if spec.get("report_at", "value") not in ("value", "key"):
        raise RuleFileError(f"{where}: 'report_at' must be 'value' or 'key'")
    where_spec = spec.get("where") or {}
    if not isinstance(where_spec, dict) or set(where_spec) - WHERE_KEYS:
        bad = sorted(set(where_spec) - WHERE_KEYS)[0] if isinstance(where_spec, dict) else "where"
        raise RuleFileError(f"{where}: unknown condition '{bad}' in 'where'")
    if "type" in where_spec and where_spec["type"] not in TYPES:
        raise RuleFileError(f"{where}: 'where.type' must be one of {', '.join(TYPES)}")
    for k in ("regex", "not_regex", "key_regex"):
        if k in where_spec:
            try:
                re.compile(where_spec[k])
            except (re.error, TypeError) as exc:
                raise RuleFileError(f"{where}: 'where.{k}' is not a valid regex: {exc}") from None
    autofix = spec.get("autofix")
    if autofix is not None and (not isinstance(autofix, dict) or set(autofix) - {"set_value", "rename_to_suggestion"}):
        raise RuleFileError(f"{where}: 'autofix' takes 'set_value' or 'rename_to_suggestion'")
    sel = spec["select"]
    for s in sel if isinstance(sel, list) else [sel]:
        try:
            compiled_path(str(s))
        except (JsonPathLexerError, JsonPathParserError, Exception) as exc:
            raise RuleFileError(f"{where}: invalid JSONPath {s!r}: {exc}") from None
    try:
        rule = DeclarativeRule(spec, where)
    except (KeyError, TypeError, ValueError) as exc:
        raise RuleFileError(f"{where}: invalid rule: {exc}") from None
    from .rulebase import validate_rule
    problem = validate_rule(rule)
    if problem:
        raise RuleFileError(f"{where}: {problem}")
    return rule
