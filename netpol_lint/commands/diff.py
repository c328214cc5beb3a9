"""Show what a change does to traffic and findings: ``diff --base REF`` or ``diff OLD NEW``.

Two forms::

    netpol-lint diff --base REF [PATH...]   # REF (read from git objects) -> the working tree
    netpol-lint diff OLD NEW                # two directories (or files), e.g. two renderings

Both states are loaded alike (display paths relative to the repository root, or to OLD and
NEW, so a file keeps its name across states), analysed with the current configuration, and
compared: connections added, removed and changed (folded per ordered pair of workloads with
port ranges, as ``connectivity`` prints them; ``analysis/conndiff.py``), and findings
introduced and fixed (matched by ``Finding.fingerprint()``, which survives line shifts).
Each state's own Istio CR decides whether the module's policies are on, so flipping the flag
shows as a diff; ``--assume-network-policies`` forces both.

``--base`` never checks anything out and never touches the working tree (``gitsource.py``).

Exit codes: 1 when the change introduces a finding at or above ``--fail-on`` (default: the
config's ``fail_on``, else ``error``) — the regression the linter can name — or, with
``--fail-on-removed``, when any connection is removed or loses ports; 0 otherwise; 2 when a
state cannot be read (unknown revision, missing path, not a git repository).  Removed
connections alone do not fail by default: hardening a namespace removes connections on purpose.
"""
from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from dataclasses import dataclass

from .. import __version__
from ..engine import linter, pipeline
from ..analysis.conndiff import ADDED, CHANGED, REMOVED, ConnChange, compare
from ..analysis.reachability import Network
from ..api import check_rule_refs, load_config_and_rules
from ..errors import UsageError
from ..options import Options
from ..engine.findings import SEVERITY_ORDER, Finding, describe_resource
from ..load.loader import Limits, discover, read_file
from ..errors import InputError
from ..model.session import Session
from .impact import md_cell, md_code, md_text
from .reach import add_network_arguments
from ..wording import count


def add_arguments(parser) -> None:
    parser.add_argument("--base", metavar="REF",
                        help="git revision to compare the working tree with (PATHs limit both states)")
    parser.add_argument("--format", default="text", choices=("text", "json", "markdown"),
                        help="output format (default: text; markdown suits a pull-request comment)")
    parser.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                        help="lowest severity of an introduced finding that makes the exit code 1 "
                             "(default: config fail_on, else error)")
    parser.add_argument("--fail-on-removed", action="store_true",
                        help="also exit 1 when a connection is removed or loses ports")
    parser.add_argument("--select", default="", metavar="RULES", help="comma-separated rule ids or names to run")
    parser.add_argument("--ignore", default="", metavar="RULES", help="comma-separated rule ids or names to skip")
    add_network_arguments(parser)


@dataclass
class State:
    label: str                       # how the output names it
    session: Session
    ref: str | None = None
    commit: str | None = None

    def to_json(self) -> dict:
        out = {"label": self.label, "network_policies_enabled": self.session.kyma.policies_enabled,
               "network_policies_source": self.session.kyma.source}
        if self.ref is not None:
            out.update({"ref": self.ref, "commit": self.commit})
        return out


@dataclass
class DiffReport:
    base: State
    head: State
    changes: list[ConnChange]
    introduced: list[Finding]
    fixed: list[Finding]

    def connections(self, kind: str) -> list[ConnChange]:
        return [c for c in self.changes if c.kind == kind]

    def counts(self) -> dict[str, int]:
        return {"connections_added": len(self.connections(ADDED)),
                "connections_removed": len(self.connections(REMOVED)),
                "connections_changed": len(self.connections(CHANGED)),
                "findings_introduced": len(self.introduced), "findings_fixed": len(self.fixed)}


def run(args) -> int:
    options = Options.from_args(args)
    config, registry = load_config_and_rules(options)
    check_rule_refs(registry, options.select + options.ignore)
    paths = list(args.paths)
    if "-" in paths:
        raise UsageError("diff reads files or directories, not stdin")
    if args.base is not None:
        base, head = _git_states(args.base, options, config)
    else:
        if len(paths) != 2:
            raise UsageError("give --base REF [PATH...] or exactly two paths: OLD NEW")
        base, head = (_dir_state(p, options, config) for p in paths)
    rules = linter.selected_rules(registry, config, options.select, options.ignore)
    results = [pipeline.run(s.session, registry, rules, verbose=options.verbose, notify=False)
               for s in (base, head)]
    errors = [m for r in results for m in r.rule_errors]
    for msg in dict.fromkeys(errors):
        print(f"netpol-lint: error: {msg}", file=sys.stderr)
    if errors:
        return 2
    nets = [Network.build(s.session, istio_world=options.istio_world, ipblock_pods=options.ipblock_pods,
                          host_network_enforced=options.host_network_enforced) for s in (base, head)]
    introduced, fixed = compare_findings(results[0].findings, results[1].findings)
    report = DiffReport(base, head, compare(*nets), introduced, fixed)
    render = {"json": render_json, "markdown": render_markdown}.get(args.format, render_text)
    from ..analysis.ipblocks import readable_ranges
    text = render(report)
    sys.stdout.write(text if args.format == "json" else readable_ranges(text))
    sys.stdout.flush()
    return exit_code(report, options.fail_on or config.fail_on, args.fail_on_removed)


def exit_code(report: DiffReport, fail_on: str, fail_on_removed: bool) -> int:
    if fail_on != "never":
        floor = SEVERITY_ORDER[fail_on]
        if any(SEVERITY_ORDER.get(f.severity, 0) >= floor for f in report.introduced):
            return 1
    if fail_on_removed and any(c.lost for c in report.changes):
        return 1
    return 0


def compare_findings(old: list[Finding], new: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(introduced, fixed) by fingerprint, counting repeats: two equal findings before and
    three after is one introduced."""
    before, after = defaultdict(list), defaultdict(list)
    for f in old:
        before[f.fingerprint()].append(f)
    for f in new:
        after[f.fingerprint()].append(f)
    introduced = [f for fp, fs in after.items() for f in fs[len(before.get(fp, ())):]]
    fixed = [f for fp, fs in before.items() for f in fs[len(after.get(fp, ())):]]
    return sorted(introduced, key=Finding.sort_key), sorted(fixed, key=Finding.sort_key)


# -- loading the two states -----------------------------------------------------------------
def make_session(files, config, options: Options) -> Session:
    """A session over already-read files, set up the way ``Session.load`` sets one up."""
    return Session.from_files(files, config, default_namespace=options.default_namespace,
                              assume_network_policies=options.assume_network_policies, limits=options.limits)


def _read(paths: list[str], excludes: list[str], root: str, limits: Limits) -> tuple[list, list[str]]:
    found, missing = discover(paths, excludes, cwd=root)
    return [read_file(p, cwd=root, limits=limits) for p in found], missing


def _dir_state(path: str, options: Options, config) -> State:
    if not os.path.exists(path):
        raise InputError(f"path not found: {path}")
    root = path if os.path.isdir(path) else (os.path.dirname(os.path.abspath(path)) or ".")
    files, _ = _read([path], list(config.exclude) + list(options.exclude), root, options.limits)
    return State(path, make_session(files, config, options))


def _git_states(ref: str, options: Options, config) -> tuple[State, State]:
    from ..load import gitsource

    try:
        root = gitsource.repo_root(os.getcwd())
        commit = gitsource.resolve_commit(root, ref)
    except gitsource.GitError as exc:
        raise InputError(str(exc)) from None
    paths = [p for p in options.paths] or ["."]
    rel = []
    for p in paths:
        r = os.path.relpath(os.path.abspath(p), root).replace(os.sep, "/")
        if r == ".." or r.startswith("../"):
            raise UsageError(f"{p} is outside the git repository {root}")
        rel.append(r)
    excludes = list(config.exclude) + list(options.exclude)
    try:
        tree = [e for e in gitsource.list_tree(root, commit) if e.type == "blob"]
        old_files = gitsource.load_revision(root, commit, rel, excludes, limits=options.limits, entries=tree)
    except gitsource.GitError as exc:
        raise InputError(str(exc)) from None
    new_files, missing = _read(paths, excludes, root, options.limits)
    for p, r in zip(paths, rel, strict=True):
        if p in missing and not any(e.path == r or e.path.startswith(r.rstrip("/") + "/") or r == "."
                                    for e in tree):
            raise InputError(f"path not found in the working tree or at {ref}: {p}")
    base = State(f"{ref} ({commit[:12]})", make_session(old_files, config, options), ref, commit)
    return base, State("working tree", make_session(new_files, config, options))


# -- rendering --------------------------------------------------------------------------------
def _policies_line(report: DiffReport) -> str:
    a, b = report.base.session.kyma, report.head.session.kyma

    def word(k) -> str:
        state = "enabled" if k.policies_enabled else "disabled"
        return state + (" (assumed: no Istio CR)" if k.assumed else "")

    if a.policies_enabled == b.policies_enabled and a.assumed == b.assumed:
        return f"module network policies: {word(b)} in both states"
    return f"module network policies: {word(a)} -> {word(b)}"


def _finding_line(f: Finding) -> str:
    """The finding as ``lint`` prints it (one line, report/text.py)."""
    from ..report.text import finding_line
    return finding_line(f)


def summary_line(report: DiffReport) -> str:
    c = report.counts()
    return (f"{count(c['connections_added'], 'connection')} added, "
            f"{c['connections_removed']} removed, {c['connections_changed']} changed; "
            f"{count(c['findings_introduced'], 'finding')} introduced, "
            f"{c['findings_fixed']} fixed.")


SECTIONS = ((ADDED, "Connections added"), (REMOVED, "Connections removed"), (CHANGED, "Connections changed"))


def render_text(report: DiffReport) -> str:
    lines = [f"netpol-lint diff: {report.base.label} -> {report.head.label}", _policies_line(report), ""]
    for kind, title in SECTIONS:
        items = report.connections(kind)
        lines.append(f"{title} ({len(items)}):" if items else f"{title}: none")
        lines.extend(f"  {c.text()}" for c in items)
    for title, items in (("Findings introduced", report.introduced), ("Findings fixed", report.fixed)):
        lines.append(f"{title} ({len(items)}):" if items else f"{title}: none")
        lines.extend(f"  {_finding_line(f)}" for f in items)
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"


def document(report: DiffReport) -> dict:
    return {"version": 1, "tool": {"name": "netpol-lint", "version": __version__},
            "base": report.base.to_json(), "head": report.head.to_json(),
            "connections": {kind: [c.to_json() for c in report.connections(kind)] for kind, _ in SECTIONS},
            "findings": {"introduced": [f.to_json() for f in report.introduced],
                         "fixed": [f.to_json() for f in report.fixed]},
            "summary": report.counts()}


def render_json(report: DiffReport) -> str:
    return json.dumps(document(report), indent=2, ensure_ascii=False) + "\n"


def _md_finding(f: Finding) -> list[str]:
    """A list item: location, rule, resource, the message; the finding's detail (NPL201's
    ready-to-apply policy, say) in a fenced block so its indentation survives."""
    r = f.resource or {}
    ident = f" {describe_resource(r)}" if r else ""
    first, _, rest = f.message.partition("\n")
    rest = "\n".join(x for x in (rest, f.detail or "") if x.strip())
    loc = f.location
    out = [f"- {md_code(f'{loc.file}:{loc.line}:{loc.column}')} **{f.rule}** ({f.severity}){md_text(ident)}: "
           f"{md_text(first)}"]
    if rest.strip():
        fence = "~~~~" if "```" in rest else "```"
        out += [f"  {fence}"] + [f"  {line}" if line else "" for line in rest.splitlines()] + [f"  {fence}"]
    return out


def render_markdown(report: DiffReport) -> str:
    c = report.counts()
    out = [f"### netpol-lint diff: {md_code(report.base.label)} → {md_code(report.head.label)}", "",
           "| change | count |", "|---|---:|",
           f"| connections added | {c['connections_added']} |",
           f"| connections removed | {c['connections_removed']} |",
           f"| connections changed | {c['connections_changed']} |",
           f"| findings introduced | {c['findings_introduced']} |",
           f"| findings fixed | {c['findings_fixed']} |", "",
           md_cell(_policies_line(report).replace(" -> ", " → ")), ""]
    for kind, title in SECTIONS:
        items = report.connections(kind)
        if not items:
            continue
        out += [f"<details><summary>{title} ({len(items)})</summary>", ""]
        if kind == CHANGED:
            out += ["| from | to | before | after |", "|---|---|---|---|"]
            out += [f"| {md_code(x.src.id)} | {md_code(x.dst.id)} | {md_cell(x.before.to_text())} "
                    f"| {md_cell(x.after.to_text())} |" for x in items]
        else:
            out += ["| from | to | ports |", "|---|---|---|"]
            out += [f"| {md_code(x.src.id)} | {md_code(x.dst.id)} "
                    f"| {md_cell((x.after if kind == ADDED else x.before).to_text())} |" for x in items]
        out += ["", "</details>", ""]
    for title, items in (("Findings introduced", report.introduced), ("Findings fixed", report.fixed)):
        if not items:
            continue
        out += [f"<details><summary>{title} ({len(items)})</summary>", ""]
        for f in items:
            out.extend(_md_finding(f))
        out += ["", "</details>", ""]
    return "\n".join(out)
