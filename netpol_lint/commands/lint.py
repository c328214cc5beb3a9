"""Lint manifests (the default command)."""
from __future__ import annotations

import os
import sys

from ..cli_common import UsageError, load_config_and_rules, load_session
from .. import linter
from ..report import ReportInput, formats, renderer


def add_arguments(p) -> None:
    p.add_argument("--format", default="text", choices=formats(), help="output format (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                   help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--select", default="", metavar="RULES", help="comma-separated rule ids or names to run")
    p.add_argument("--ignore", default="", metavar="RULES", help="comma-separated rule ids or names to skip")
    p.add_argument("--statistics", action="store_true", help="counts per rule instead of individual findings")
    p.add_argument("-q", "--quiet", action="store_true", help="findings only, no summary")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="colour text output")


def _split(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def run_lint(args):
    """Load, lint and return (result, session, registry, config) without rendering."""
    config, registry = load_config_and_rules(args)
    for ref in _split(args.select) + _split(args.ignore):
        if not registry.is_known(ref):
            raise UsageError(f"unknown rule '{ref}'")
    session = load_session(args, config)
    rules = linter.selected_rules(registry, config, _split(args.select), _split(args.ignore))
    result = linter.run(session, registry, rules, verbose=args.verbose)
    return result, session, registry, config


def run(args) -> int:
    result, session, registry, config = run_lint(args)
    for msg in result.rule_errors:
        print(f"netpol-lint: error: {msg}", file=sys.stderr)
    if args.verbose:
        for s in result.unused_suppressions:
            print(f"netpol-lint: note: suppression matches nothing: {s}", file=sys.stderr)
        for f in session.skipped:
            print(f"netpol-lint: note: skipped {f.path}: {f.skipped}", file=sys.stderr)
    out_stream = sys.stdout
    color = _use_color(args.color, out_stream if not args.output else None)
    text = renderer(args.format)(ReportInput(result, session, registry, color=color, quiet=args.quiet,
                                             statistics=args.statistics))
    if args.output:
        from ..fsutil import write_atomic
        write_atomic(args.output, text.encode("utf-8"))
    else:
        out_stream.write(text)
        out_stream.flush()
    fail_on = args.fail_on or config.fail_on
    if result.rule_errors:
        return 2
    return 1 if result.fails(fail_on) else 0


def _use_color(mode: str, stream) -> bool:
    if mode == "always":
        return True
    if mode == "never" or stream is None:
        return False
    if os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()
