"""The finding: an immutable value.  Whether it is reported is decided in one place, the
pipeline (``engine/pipeline.py``); its stages derive new findings with ``dataclasses.replace``."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

from ..load.documents import Location, Related

__all__ = ["SEVERITY_ORDER", "Finding", "LabelFix", "Location", "Related", "describe_resource"]

SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class LabelFix:
    """Set/remove labels in one mapping of one document (what every fixable rule needs).

    ``path`` leads from the document root to the *mapping that holds the labels*; missing
    mappings on the way are created by the fixer.  Besides labels, the same edit sets a key of
    any mapping (NPL204 renames a namespaceSelector key, NPL203 sets a policy's ``port``, an
    int value).
    """

    file: str
    doc_index: int
    path: tuple[str | int, ...]
    set: tuple[tuple[str, str | int], ...] = ()
    remove: tuple[str, ...] = ()

    @classmethod
    def set_pod_label(cls, workload: Any, key: str, value: str = "allowed") -> "LabelFix":
        """Set ``key: value`` on a workload's pod template labels (created if missing)."""
        return cls(workload.file, workload.doc.index, _labels_path(workload.base, workload.labels_path),
                   set=_label_pair(key, value))

    def describe(self) -> str:
        parts = [f"set {k}: {v}" for k, v in self.set] + [f"remove {k}" for k in self.remove]
        return ", ".join(parts)


def describe_resource(r: dict[str, Any]) -> str:
    """``Kind ns/name`` (``Kind name`` without a namespace) of a finding's resource identity."""
    ns = r.get("namespace")
    return f"{r.get('kind')} {ns + '/' if ns else ''}{r.get('name')}"


@lru_cache(maxsize=64)
def _labels_path(base: tuple[str | int, ...], labels: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A pod template's labels path (a Function's: spec.labels) from the document root: one
    tuple per path, shared by every fix."""
    return base + labels


@lru_cache(maxsize=64)
def _label_pair(key: str, value: str) -> tuple[tuple[str, str], ...]:
    return ((key, value),)


@dataclass(frozen=True, slots=True)   # slots: large runs hold tens of thousands
class Finding:
    rule: str
    name: str
    severity: str
    message: str
    location: Location
    resource: dict[str, Any] | None = None            # apiVersion/kind/namespace/name
    fixable: bool = False
    fix: LabelFix | None = None
    related: list[Related] | tuple[Related, ...] = ()     # read-only; may be shared between findings
    node_hint: Any = None                   # stable content for the fingerprint (not the line)
    suppressed_by: str | None = None
    suppress_reason: str | None = None      # netpol-lint.io/ignore-reason of the suppressing resource
    # One cause, one finding (RULES.md): a finding that another explains names the explaining
    # findings as (rule id, file, line); the pipeline folds it into the first of them that is
    # reported, and releases it again when that one is suppressed, baselined or out of scope.
    explained_by: tuple[tuple[str, str, int], ...] = ()
    explained_note: str = ""                # what the explaining finding adds to its message
    explains: tuple["Finding", ...] = ()    # the findings folded into this one
    detail: str | None = None               # long text that is not the one-line message (NPL201's policy)

    @property
    def file(self) -> str:
        return self.location.file

    def sort_key(self) -> tuple[Any, ...]:
        loc = self.location
        return (loc.file, loc.line, loc.column, self.rule, self.message)

    def fingerprint(self) -> str:
        """Stable across unrelated edits: rule + resource identity + a hash of the node content."""
        ident = self.resource or {}
        payload = json.dumps([self.rule, ident.get("kind"), ident.get("namespace"), ident.get("name"),
                              self.node_hint if self.node_hint is not None else self.message],
                             sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        out = {
            "rule": self.rule, "name": self.name, "severity": self.severity, "message": self.message,
            "file": loc.file, "line": loc.line, "column": loc.column,
            "end_line": loc.end_line, "end_column": loc.end_column,
            "resource": self.resource, "fixable": self.fixable,
        }
        if self.related:
            out["related"] = [{"file": r.location.file, "line": r.location.line, "column": r.location.column,
                               "message": r.message} for r in self.related]
        if self.detail is not None:
            out["detail"] = self.detail
        return out

    def to_json_suppressed(self) -> dict[str, Any]:
        """A suppressed finding's JSON (``--include-suppressed``): the finding's, plus what
        suppressed it and the ``netpol-lint.io/ignore-reason`` given (or null)."""
        return {**self.to_json(), "suppressed_by": self.suppressed_by, "justification": self.suppress_reason}


def unique_related(related: Iterable[Related]) -> list[Related] | tuple[Related, ...]:
    """Related locations without repeats, in order: an entry whose message was already given
    for the same file is dropped.  A route with several destinations to one Service (weighted
    subsets), or reached through several Service ports, is then named once per file that
    defines it; a route defined in several files is still named once in each (any of them may
    be the one deployed).  A list or tuple without repeats is kept as given: rules pass one to
    many findings (NPL004 per group of duplicates, NPL105 per route; findings are read-only).
    Used by ``Rule.finding`` and by the pipeline's fold."""
    if related.__class__ not in (list, tuple):
        related = list(related)
    if len(related) < 2:
        return related
    seen: set[tuple[str, str]] = set()
    unique = []
    for r in related:
        key = (r.location.file, r.message)
        if key not in seen:
            seen.add(key)
            unique.append(r)
    return related if len(unique) == len(related) else unique
