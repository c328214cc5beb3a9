"""Suppressions: resource annotations, inline comments, and config per-file ignores.

Kept apart from rules (which only find) and reporters (which only render), like flake8's
StyleGuide: a finding is suppressed here or not at all.
"""
from __future__ import annotations

import os

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Callable, Iterator

from .findings import Finding
from ..load.loader import DIRECTIVE_MARK, SourceFile
from ..model.index import Model
from ..model.resources import Resource, Workload

IGNORE_ANNOTATION = "netpol-lint.io/ignore"
IGNORE_REASON_ANNOTATION = "netpol-lint.io/ignore-reason"
_DIRECTIVE_RE = re.compile(r"#\s*netpol-lint:\s*(disable-file|disable=([A-Za-z0-9_,\- ]+))")


def directive_refs(text: str) -> Iterator[tuple[int, int, str]]:
    """``(line, column, ref)`` of every rule reference in the ``# netpol-lint: disable=...``
    comments of ``text`` (1-based; the column of the reference itself), in order."""
    if DIRECTIVE_MARK not in text:
        return
    for i, line in enumerate(text.splitlines(), start=1):
        for m in _DIRECTIVE_RE.finditer(line):
            if m.group(2) is None:
                continue
            start = m.start(2)
            for part in m.group(2).split(","):
                ref = part.strip()
                if ref:
                    yield i, start + part.index(ref) + 1, ref
                start += len(part) + 1


def ignore_annotations(r: Resource) -> list[tuple[tuple[str | int, ...], str]]:
    """``(path, value)`` of the resource's ``netpol-lint.io/ignore`` annotations: its own and,
    for a workload, its pod template's."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    value = r.annotations.get(IGNORE_ANNOTATION)
    if value:
        out.append((("metadata", "annotations", IGNORE_ANNOTATION), value))
    if isinstance(r, Workload) and r.template_path:
        value = r.pod_annotations.get(IGNORE_ANNOTATION)
        if value:
            out.append((r.template_path + ("metadata", "annotations", IGNORE_ANNOTATION), value))
    return out


def known_ref(ref: str, resolve: Callable[[str], object]) -> bool:
    """Does a suppression's rule reference name something (``all``, a rule id or name)?"""
    return ref.strip().lower() == "all" or resolve(ref.strip()) is not None


@dataclass
class Suppressor:
    """Decides, for each finding, whether a suppression applies (and records which did)."""

    model: Model
    files: dict[str, SourceFile]
    per_file_ignores: dict[str, list[str]]
    resolve: Callable[[str], str | None]           # rule ref -> rule id (or None)
    used: set[str] = field(default_factory=set)
    reasons: dict[str, str] = field(default_factory=dict)   # suppression -> its ignore-reason
    _comments: dict[str, tuple[bool, dict[int, set[str]]]] = field(default_factory=dict)
    _index: dict[tuple[str, str, str | None, str], list[Resource]] | None = None

    def check(self, f: Finding) -> str | None:
        """The suppression that applies to ``f`` (a short description), or None."""
        by = self._by_comment(f) or self._by_annotation(f) or self._by_config(f)
        if by:
            self.used.add(by)
        return by

    # -- comments ---------------------------------------------------------------------
    def _directives(self, path: str) -> tuple[bool, dict[int, set[str]]]:
        hit = self._comments.get(path)
        if hit is None:
            src = self.files.get(path)
            text = (src.text or "") if src is not None and src.may_have_directives else ""
            whole = False
            lines: dict[int, set[str]] = {}
            if DIRECTIVE_MARK in text:
                for line in text.splitlines():
                    for m in _DIRECTIVE_RE.finditer(line):
                        if m.group(1) == "disable-file" and line.lstrip().startswith("#"):
                            whole = True
                for i, _column, ref in directive_refs(text):
                    lines.setdefault(i, set()).add(self._norm(ref))
            hit = self._comments[path] = (whole, lines)
        return hit

    def _by_comment(self, f: Finding) -> str | None:
        whole, lines = self._directives(f.location.file)
        if whole:
            return f"{f.location.file}: disable-file"
        for line in (f.location.line, f.location.line - 1):
            ids = lines.get(line)
            if ids and (f.rule in ids or "ALL" in ids):
                return f"{f.location.file}:{line}: disable"
        return None

    # -- annotations ------------------------------------------------------------------
    def _by_annotation(self, f: Finding) -> str | None:
        if not f.resource:
            return None
        ident = f.resource
        for r in self._resources_named(ident["kind"], ident["name"], ident["namespace"], f.file):
            sources = [r.annotations]
            if isinstance(r, Workload) and r.template_path:
                sources.append(r.pod_annotations)
            for ann in sources:
                value = ann.get(IGNORE_ANNOTATION)
                if value and self._matches(value.split(","), f.rule):
                    by = f"{r.ref}: annotation {IGNORE_ANNOTATION}"
                    reason = ann.get(IGNORE_REASON_ANNOTATION)
                    if isinstance(reason, str) and reason.strip():
                        self.reasons[by] = reason.strip()
                    return by
        return None

    def _resources_named(self, kind: str, name: str, namespace: str | None, file: str) -> list[Resource]:
        """Annotated resources of that identity in that file, in model order (an index, built
        once, of the resources that carry the annotation at all: scanning every resource per
        finding was quadratic on large inputs, and indexing all of them cost ~5% of a large
        run's peak memory)."""
        if self._index is None:
            self._index = {}
            for kind_name, rs in self.model.by_kind.items():
                for r in rs:
                    if ignore_annotations(r):
                        # the namespace as shown: a unit's default namespace (model/units.py)
                        # shows as "default", and the file tells the units apart
                        ns = str(r.namespace) if r.namespace is not None else None
                        self._index.setdefault((kind_name, r.name, ns, r.file), []).append(r)
        return self._index.get((kind, name, str(namespace) if namespace is not None else None, file), [])

    # -- config -----------------------------------------------------------------------
    def _by_config(self, f: Finding) -> str | None:
        anchored = getattr(self.per_file_ignores, "anchored", None)
        path = os.path.abspath(f.file).replace(os.sep, "/") if anchored else f.file
        for glob, rules in self.per_file_ignores.items():
            pattern = anchored(glob) if anchored else glob
            if (fnmatch(path, pattern) or fnmatch(path, pattern.rstrip("/") + "/*")) and self._matches(rules, f.rule):
                return f"config per_file_ignores {glob}"
        return None

    def _matches(self, refs: Iterable[str], rule_id: str) -> bool:
        return any(self._norm(x) in (rule_id, "ALL") for x in refs if x.strip())

    def _norm(self, ref: str) -> str:
        ref = ref.strip()
        if ref.lower() == "all":
            return "ALL"
        return self.resolve(ref) or ref.upper()

    def declared(self) -> list[str]:
        """Every suppression written in the input (for --verbose 'unused' reports)."""
        out = []
        for path in sorted(self.files):
            whole, lines = self._directives(path)
            if whole:
                out.append(f"{path}: disable-file")
            out.extend(f"{path}:{ln}: disable" for ln in sorted(lines))
        for r in self.model.resources:
            if ignore_annotations(r):
                out.append(f"{r.ref}: annotation {IGNORE_ANNOTATION}")
        out.extend(f"config per_file_ignores {g}" for g in self.per_file_ignores)
        return sorted(set(out))


def suppression_kind(suppressed_by: str) -> str:
    """Where a suppression is written, in SARIF's terms: ``"external"`` for the config's
    ``per_file_ignores`` and a baseline file, ``"inSource"`` for comments and annotations in
    the linted manifests."""
    return "external" if suppressed_by.startswith(("config ", "baseline ")) else "inSource"
