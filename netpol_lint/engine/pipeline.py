"""The one place that decides what a run reports.

Rules find; every later decision is a stage here, in this order::

    rules                      run_rules: each selected rule's findings (a crash is a rule error)
    severity overrides         config ``severity:`` per rule
    node ownership             an invalid node is NPL003's alone (RULES.md NPL003)
    one-cause merging          a finding another explains is folded into it (RULES.md)
    patched labels             a fix of a label a kustomization patch changes is dropped (the patch wins)
    origin remapping           Helm ``# Source:`` / kustomize origin annotations → the edited file
    suppressions               comments, annotations, ``per_file_ignores``
    changed-only scope         ``--changed-only``: findings touching the changed files
    baseline                   ``--baseline``: findings the baseline accounts for
    fold                       a merged finding takes the higher severity and names what it explains
    sort / dedupe              by file, line, column, rule, message
    netpol_lint_findings hook  plugins see exactly what is reported, once
    → report

Findings are immutable; a stage derives new ones with ``dataclasses.replace``.

One cause, one finding: a finding naming ``explained_by`` (rule, file, line) is folded into
the first such finding of the run.  The fold is only *recorded* at the merging stage; when
the explaining finding is later suppressed, out of the changed-only scope or in the baseline,
the findings it carried are released back into the stream at that stage (and go through it
themselves), so switching a rule off never hides a broken route.  Only findings that are
finally reported get the higher severity and the note (the fold stage).
"""
from __future__ import annotations

import dataclasses
import os
from collections import Counter
from itertools import groupby
from typing import Callable, Iterable

from .changed import ChangedScope
from .findings import SEVERITY_ORDER, Finding, Related, unique_related
from .linter import LintContext, LintResult, run_rules
from .plugins import RuleRegistry
from .rulebase import Rule
from .suppress import Suppressor
from ..load.documents import Location
from ..load.loader import SourceFile, display_path
from ..load.origins import Relocator, has_rendered_input, origin_file
from ..model.session import Session

_Keep = Callable[[Finding], bool]


def run(session: Session, registry: RuleRegistry, rules: list[Rule], *, scope: ChangedScope | None = None,
        baseline: Counter[str] | None = None, baseline_name: str = "", verbose: bool = False,
        notify: bool = True) -> LintResult:
    """Run ``rules`` over ``session`` and decide what is reported (see the module docstring).

    ``baseline`` holds fingerprint counts (``engine.baseline.load``) and ``baseline_name``
    the file they came from, named in each baselined finding's ``suppressed_by``.  With
    ``notify=False`` the ``netpol_lint_findings`` hook is not called (a run whose findings
    are not the ones reported, e.g. the first of ``--fix``; see ``notify``).
    """
    ctx = LintContext(session, registry)
    registry.pm.hook.netpol_lint_configure(config=session.config)
    raw, errors = run_rules(ctx, rules, verbose=verbose)
    findings = apply_severity(raw, registry, session.config.severity)
    findings = dedupe(findings)
    findings = drop_guesses_on_invalid_nodes(findings)
    findings = merge_causes(findings)
    findings = patched_label_fixes(findings, session)
    findings, before_move = remap_origins(findings, session)
    suppressor = Suppressor(session.model, _files_for(session, findings), session.config.per_file_ignores,
                            lambda ref: (r.id if (r := registry.resolve(ref)) else None))
    reported, suppressed = suppress(findings, suppressor, before_move)
    if scope is not None and not scope.everything:
        reported, _ = split(reported, scope.keeps)
    if baseline is not None:
        reported, known = apply_baseline(reported, baseline, baseline_name)
        suppressed.extend(known)
    reported = sorted(fold(reported), key=Finding.sort_key)
    suppressed.sort(key=Finding.sort_key)
    unused = [s for s in suppressor.declared() if s not in suppressor.used] if verbose else []
    result = LintResult(reported, suppressed, errors, unused, rules, context=ctx)
    if notify:
        notify_plugins(result, registry)
    return result


def notify_plugins(result: LintResult, registry: RuleRegistry) -> None:
    """The ``netpol_lint_findings`` hook, with exactly the findings that are reported."""
    registry.pm.hook.netpol_lint_findings(findings=list(result.findings), ctx=result.context)


# -- stages --------------------------------------------------------------------------------

def apply_severity(findings: list[Finding], registry: RuleRegistry, overrides: dict[str, str]) -> list[Finding]:
    """Config ``severity: {RULE: level}`` (ids or names)."""
    if not overrides:
        return findings
    severity = {((r.id if (r := registry.resolve(k)) else k)): v for k, v in overrides.items()}
    return [dataclasses.replace(f, severity=severity[f.rule]) if f.rule in severity and f.severity != severity[f.rule]
            else f for f in findings]


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Sorted, without repeats (same rule, location and message).

    Repeats share a sort key, so they fall into one group once sorted, where rule and message
    are equal already: only locations are compared (a set of every finding cost ~6 MB at 100k
    documents, at the run's peak).
    """
    findings = sorted(findings, key=Finding.sort_key)
    out: list[Finding] = []
    for _, group in groupby(findings, key=Finding.sort_key):
        seen = set()
        for f in group:
            if f.location not in seen:
                seen.add(f.location)
                out.append(f)
    return out


def drop_guesses_on_invalid_nodes(findings: list[Finding]) -> list[Finding]:
    """An invalid node is NPL003's alone: other rules' readings of it are guesses (RULES.md
    NPL003 "nothing else about that document is guessed")."""
    invalid_at = {(f.location.file, f.location.line, f.location.column) for f in findings if f.rule == "NPL003"}
    if not invalid_at:
        return findings
    return [f for f in findings
            if f.rule == "NPL003" or (f.location.file, f.location.line, f.location.column) not in invalid_at]


def merge_causes(findings: list[Finding]) -> list[Finding]:
    """Fold each finding that names ``explained_by`` into the first explaining finding present."""
    if not any(f.explained_by for f in findings):
        return findings
    explaining: dict[tuple[str, str, int], int] = {}
    for i, f in enumerate(findings):
        explaining.setdefault((f.rule, f.location.file, f.location.line), i)
    carried: dict[int, list[Finding]] = {}
    folded: set[int] = set()
    for i, f in enumerate(findings):
        for key in f.explained_by:
            j = explaining.get(key)
            if j is not None and j != i and j not in folded:
                carried.setdefault(j, []).append(f)
                folded.add(i)
                break
    out = []
    for i, f in enumerate(findings):
        if i in folded:
            continue
        out.append(dataclasses.replace(f, explains=f.explains + tuple(carried[i])) if i in carried else f)
    return out


def patched_label_fixes(findings: list[Finding], session: Session) -> list[Finding]:
    """A fix of a label a kustomization patch sets or removes would edit the base file while
    the patch still wins: such findings (and the ones they explain) are not fixable, and
    name the patch file instead."""
    patched = session.model.patched_labels
    if not patched:
        return findings

    def unfixed(f: Finding) -> Finding:
        explains = tuple(unfixed(e) for e in f.explains)
        if explains != f.explains:
            f = dataclasses.replace(f, explains=explains)
        fix = f.fix
        hit = patched.get((fix.file, fix.doc_index, fix.path)) if fix is not None else None
        if fix is None or hit is None or hit[0].isdisjoint([k for k, _ in fix.set] + list(fix.remove)):
            return f
        related = tuple(f.related) + tuple(
            Related(Location(display_path(source), 1, 1, 1, 1), "the kustomization patch that changes these labels")
            for source in hit[1] if source)
        return dataclasses.replace(f, fix=None, fixable=False, related=related)

    return [unfixed(f) for f in findings]


def remap_origins(findings: list[Finding], session: Session) -> tuple[list[Finding], dict[int, Finding]]:
    """Findings of rendered input (Helm on stdin, ``--kustomize``) moved to their origin files.

    Returns the findings and, for each moved one (by ``id``), the finding before the move: its
    rendered position is where resource annotations and the rendered stream's comments apply.
    Moved findings are not fixable (their fix would edit rendered text).
    """
    if not has_rendered_input(session.files):
        return findings, {}
    mover = Relocator(session)
    before: dict[int, Finding] = {}
    out = []
    for f in findings:
        moved = _moved(f, mover)
        if moved is not f:
            before[id(moved)] = f
        out.append(moved)
    return out, before


def _moved(f: Finding, mover: Relocator) -> Finding:
    new = mover.move(f.location)
    related = tuple(Related(mover.move(r.location), r.message) for r in f.related) if f.related else f.related
    explains = tuple(_moved(e, mover) for e in f.explains)
    if new == f.location and related == tuple(f.related) and explains == f.explains:
        return f
    if new == f.location:
        return dataclasses.replace(f, related=related, explains=explains)
    return dataclasses.replace(f, location=new, related=related, explains=explains, fix=None, fixable=False)


def suppress(findings: Iterable[Finding], suppressor: Suppressor,
             before_move: dict[int, Finding] | None = None) -> tuple[list[Finding], list[Finding]]:
    """``(reported, suppressed)``; a suppressed finding releases what it explained.

    A moved finding is checked at its rendered position first (resource annotations, the
    rendered stream's comments), then at its origin (the origin file's comments and
    ``per_file_ignores``).
    """
    before_move = before_move or {}

    def why(f: Finding) -> str | None:
        original = before_move.get(id(f))
        return (suppressor.check(original) if original is not None else None) or suppressor.check(f)

    reported: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        by = why(f)
        if by is None:
            reported.append(f)
            continue
        suppressed.append(dataclasses.replace(f, suppressed_by=by, suppress_reason=suppressor.reasons.get(by),
                                              explains=()))
        more_reported, more_suppressed = suppress(f.explains, suppressor)
        reported.extend(more_reported)
        suppressed.extend(more_suppressed)
    return reported, suppressed


def split(findings: Iterable[Finding], keep: _Keep) -> tuple[list[Finding], list[Finding]]:
    """``(kept, dropped)`` by ``keep``; a dropped finding's explained findings are judged in its place."""
    kept: list[Finding] = []
    dropped: list[Finding] = []
    for f in findings:
        if keep(f):
            kept.append(f)
        else:
            dropped.append(dataclasses.replace(f, explains=()))
            more_kept, more_dropped = split(f.explains, keep)
            kept.extend(more_kept)
            dropped.extend(more_dropped)
    return kept, dropped


def apply_baseline(findings: list[Finding], counts: Counter[str], name: str) -> tuple[list[Finding], list[Finding]]:
    """``(new, known)``: each baseline fingerprint accounts for as many findings as it counts."""
    from .baseline import key, legacy_key

    remaining = Counter(counts)

    def new(f: Finding) -> bool:
        for k in (key(f), legacy_key(f)):
            if k is not None and remaining[k] > 0:
                remaining[k] -= 1
                return False
        return True

    kept, known = split(findings, new)
    return kept, [dataclasses.replace(f, suppressed_by=f"baseline {name}") for f in known]


def fold(findings: list[Finding]) -> list[Finding]:
    """A finding that explains others is reported with the highest severity among them, says
    what it explains and lists each explained finding's location as related (RULES.md "One
    cause, one finding": a route dead once policies are on always fails the run)."""
    out = []
    for f in findings:
        if not f.explains:
            out.append(f)
            continue
        severity = max([f.severity, *(e.severity for e in f.explains)], key=lambda s: SEVERITY_ORDER.get(s, 2))
        notes = sorted({e.explained_note for e in f.explains if e.explained_note})
        message = f.message + ("; " + "; ".join(notes) if notes else "")
        related = list(f.related)
        for e in sorted(f.explains, key=Finding.sort_key):
            related.append(Related(e.location, f"{e.rule} {e.explained_note or e.message}"))
        out.append(dataclasses.replace(f, severity=severity, message=message, related=tuple(unique_related(related))))
    return out


def _files_for(session: Session, findings: list[Finding]) -> dict[str, SourceFile]:
    """The source files suppression reads comments from: the input's, and the origin files
    findings were moved to."""
    files = {f.path: f for f in session.files}
    for f in findings:
        path = f.location.file
        if path not in files and os.path.isfile(path):
            src = origin_file(path)
            if src is not None:
                files[path] = src
    return files
