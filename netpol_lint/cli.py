"""Command line: ``netpol-lint [lint] PATH...`` and the other subcommands of CONTRACT.md.

Exit codes: 0 clean, 1 findings at or above --fail-on, 2 the tool could not do its job (one
line on stderr, never a traceback unless --verbose).
"""
from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback

from . import __version__
from .commands.common import Parser, add_input_options, exit_state
from .errors import NetpolLintError, UsageError

# subcommand -> module with add_arguments(parser) and run(args) -> int
COMMANDS = {
    "lint": "netpol_lint.commands.lint",
    "rules": "netpol_lint.commands.rules",
    "explain": "netpol_lint.commands.explain",
    "reach": "netpol_lint.commands.reach",
    "connectivity": "netpol_lint.commands.connectivity",
    "lsp": "netpol_lint.commands.lsp",
    "expect": "netpol_lint.commands.expect",
    "impact": "netpol_lint.commands.impact",
    "diff": "netpol_lint.commands.diff",
    "diff-managed": "netpol_lint.commands.diff_managed",
}
NO_INPUT = ("rules", "explain")
NO_RULES = ("reach", "connectivity")          # read manifests, run no rule


def build_parser(only: str | None = None) -> Parser:
    """The argument parser; with ``only``, just that subcommand's module is imported (fast start)."""
    p = Parser(prog="netpol-lint", description="Lint Kubernetes manifests for the Kyma Istio module's network policies.")
    p.add_argument("--version", action="version", version=f"netpol-lint {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=Parser)
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            continue
        mod = importlib.import_module(module)
        summary = plain(mod.__doc__.strip().splitlines()[0]) if mod.__doc__ else None
        sp = sub.add_parser(name, help=summary, description=summary)
        if name not in NO_INPUT:
            add_input_options(sp, rules=name not in NO_RULES)
        mod.add_arguments(sp)
        sp.set_defaults(_run=mod.run)
    return p


def plain(text: str) -> str:
    """Docstring text for ``--help``: without reStructuredText's literal and emphasis markup."""
    return text.replace("``", "'").replace("**", "")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in argv or "--verbose" in argv
    if argv[:1] == ["--version"]:
        print(f"netpol-lint {__version__}")
        return 0
    # One run builds a large acyclic object graph: the cyclic collector only costs time
    # here (see load/reader.py), so it is paused for the run and restored afterwards.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _dispatch(argv, verbose)
    finally:
        if gc_was_enabled:
            gc.enable()


def _dispatch(argv: list[str], verbose: bool) -> int:
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        argv.insert(0, "lint")
    elif argv[0] != "lint" and argv[0] in COMMANDS and os.path.exists(argv[0]):
        print(f"netpol-lint: note: '{argv[0]}' is run as the subcommand; to lint the path {argv[0]}, run "
              f"'netpol-lint lint {argv[0]}' (or 'netpol-lint ./{argv[0]}')", file=sys.stderr)
    try:
        parser = build_parser(argv[0] if argv[0] in COMMANDS else None)
        args = parser.parse_args(argv)
        return int(args._run(args))
    except UsageError as exc:
        text = str(exc)
        _error(text if "(see " in text else f"{text} (see 'netpol-lint {argv[0]} --help')")
        return exc.exit_code
    except NetpolLintError as exc:
        _error(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 2
    except Exception as exc:  # last resort: one line, traceback only on request
        if verbose:
            traceback.print_exc()
        _error(f"internal error: {type(exc).__name__}: {exc} (run with --verbose for details)")
    return 2


def _error(message: str) -> None:
    print(f"netpol-lint: error: {message}", file=sys.stderr)


def entry() -> None:
    """Console-script entry point."""
    exit_state.hard_exit = True
    code = main()
    if not exit_state.kept or sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)   # a profiler or coverage tool writes its results at a normal exit
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        code = code or 2
    os._exit(code)
