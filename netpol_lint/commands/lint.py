"""Lint manifests (the default command)."""
from __future__ import annotations

import os
import sys

from .. import api
from .common import exit_state
from ..engine import baseline
from ..engine.pipeline import notify_plugins
from ..errors import InputError, UsageError
from ..model.session import PATCH_SKIPPED
from ..options import Options
from ..report import ReportInput, chunks, formats
from ..wording import count


def add_arguments(p) -> None:
    p.add_argument("--format", default="text", choices=formats(), help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                   help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--select", default="", metavar="RULES", help="comma-separated rule ids or names to run")
    p.add_argument("--ignore", default="", metavar="RULES", help="comma-separated rule ids or names to skip")
    p.add_argument("--statistics", action="store_true", help="counts per rule instead of individual findings")
    p.add_argument("--include-suppressed", action="store_true",
                   help="json/sarif: also list the suppressed findings, with what suppressed them and the "
                        "netpol-lint.io/ignore-reason (SARIF: results with suppressions[].justification)")
    p.add_argument("-q", "--quiet", action="store_true", help="findings only, no summary")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour text output")
    # fixes and baselines (issue 5)
    p.add_argument("--fix", action="store_true",
                   help="apply the fixable findings in place (comments and formatting kept), then report what remains")
    p.add_argument("--diff", action="store_true",
                   help="print the unified diff --fix would apply and write nothing (implies --fix)")
    p.add_argument("--baseline", metavar="FILE", help="report only findings absent from the baseline FILE")
    p.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE (then exit 0)")
    # workflows (issue 6): pre-commit mode, Rego policies, kustomize rendering
    p.add_argument("--changed-only", nargs="*", metavar="FILE", default=None,
                   help="load the whole repository as context but report only findings in FILEs "
                        "(without FILEs: the PATHs are the changed files; pre-commit mode)")
    p.add_argument("--policy", action="append", default=[], metavar="DIR",
                   help="Rego policies (conftest conventions); needs: pip install 'netpol-lint[rego]'")
    p.add_argument("--namespace", action="append", default=[], metavar="PACKAGE",
                   help="Rego package(s) to evaluate (default: main; repeatable)")
    p.add_argument("--combine", action="store_true",
                   help="evaluate Rego policies once over all input, conftest --combine style")
    p.add_argument("--allow-empty", action="store_true",
                   help="a PATH that holds no Kubernetes manifests is not an error (default: exit 2)")
    p.add_argument("--kustomize", action="store_true",
                   help="render PATHs that hold a kustomization.yaml, and the root kustomizations inside "
                        "other directory PATHs, with 'kubectl kustomize'")


def run(args) -> int:
    from .progress import Progress
    from ..engine import fix

    options = Options.from_args(args)
    if options.kustomize and (args.fix or args.diff):
        raise UsageError("--fix edits files, not kustomize output: fix the base files without --kustomize")
    if (args.fix or args.diff) and "-" in args.paths:
        raise UsageError("--fix edits files in place and cannot fix standard input: save the stream "
                         "to a file, or use --fix --diff on the files it came from")
    if args.statistics and args.format not in ("text", "full", "github"):
        # the machine formats have no place for counts instead of findings: refuse rather
        # than print every finding as if --statistics had not been given
        raise UsageError(f"--statistics prints counts per rule as text and cannot be combined with "
                         f"--format {args.format} (the report's summary holds the counts)")
    with Progress.for_terminal(args.quiet) as progress:
        if args.write_baseline:
            recorded = api.run(options, progress=progress, use_baseline=False)
            return baseline.write_command(args.write_baseline, recorded.result)
        fixing = args.fix or args.diff
        current = api.run(options, progress=progress, notify=not fixing)
        _check_not_empty(args, options, current.session)
        fixed_note = None
        if fixing:
            fix_report = fix.run(current.result, current.session, diff=args.diff)
            if args.diff:
                return 2 if current.result.rule_errors else (1 if fix_report.changed else 0)
            if fix_report.changed:
                current = api.run(options, progress=progress, notify=False)
            notify_plugins(current.result, current.registry)
            fixed_note = fix.summary_line(fix_report)
    result, session, registry, config = current.result, current.session, current.registry, current.config
    for msg in result.rule_errors:
        print(f"netpol-lint: error: {msg}", file=sys.stderr)
    for path in registry.untrusted_python:
        print(f"netpol-lint: note: not importing {os.path.relpath(path)}: Python rules named by a config file "
              f"run only with --trust-config (docs/security.md)", file=sys.stderr)
    if args.verbose:
        for s in result.unused_suppressions:
            print(f"netpol-lint: note: suppression matches nothing: {s}", file=sys.stderr)
        for f in session.skipped:
            print(f"netpol-lint: note: skipped {f.path}: {f.skipped}", file=sys.stderr)
        for r in session.model.unrecognised:
            loc = r.locate("apiVersion")
            print(f"netpol-lint: note: not traced: {loc.file}:{loc.line}: {r.kind} {r.ns_name} "
                  f"(apiVersion {r.api_version} not understood)", file=sys.stderr)
        for path, number, why in session.model.skipped_documents:
            print(f"netpol-lint: note: skipped {path} document {number}: {why}", file=sys.stderr)
    elif session.skipped and not args.quiet:
        patches = sum(1 for f in session.skipped if f.skipped == PATCH_SKIPPED)
        n = len(session.skipped) - patches
        if n:
            print(f"netpol-lint: note: skipped {count(n, 'path')} that cannot be read as manifests "
                  f"(FIFOs, devices, symlinks leaving the tree, unreadable directories); --verbose lists them",
                  file=sys.stderr)
        if patches:
            print(f"netpol-lint: note: skipped {count(patches, 'kustomization patch file')} "
                  f"(changes to other objects, not resources); --verbose lists them", file=sys.stderr)
    out_stream = sys.stdout
    color = _use_color(args.color, out_stream if not args.output else None)
    # the report in pieces, written as they are made (JSON/SARIF never exist whole: memory)
    pieces = chunks(args.format, ReportInput(result, session, registry, color=color, quiet=args.quiet,
                                             statistics=args.statistics,
                                             include_suppressed=args.include_suppressed))
    if fixed_note and args.format == "text" and not args.output:
        pieces = [*pieces, fixed_note + "\n"]
    elif fixed_note:
        print(fixed_note, file=sys.stderr)
    if args.output:
        from ..fsutil import write_atomic
        try:
            write_atomic(args.output, "".join(pieces).encode("utf-8"))
        except OSError as exc:
            raise InputError(f"cannot write --output {args.output}: {exc.strerror or exc}") from None
    else:
        for piece in pieces:
            for i in range(0, len(piece), 1 << 20):   # in slices: no second, encoded copy of a large text
                out_stream.write(piece[i:i + (1 << 20)])
        out_stream.flush()
    fail_on = args.fail_on or config.fail_on
    exit_state.keep(result, session)           # freed by the OS at exit (cli.entry)
    if result.rule_errors:
        return 2
    return 1 if result.fails(fail_on) else 0


def _check_not_empty(args, options, session) -> None:
    """A PATH that yields no manifest is exit 2 (issue 16): a mistyped CI path must not pass.
    Not in pre-commit mode (it may pass only non-manifest files) nor with --allow-empty."""
    if args.allow_empty or args.changed_only is not None or options.kustomize:
        return
    from ..model.session import paths_without_manifests
    empty = paths_without_manifests(list(args.paths) or ["."], session)
    if empty:
        raise InputError(f"{empty[0]}: no Kubernetes manifests found (a mistyped path? --allow-empty accepts it)")


def _use_color(mode: str, stream) -> bool:
    if mode == "always":
        return True
    if mode == "never" or stream is None:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()
