"""The command-line surface shared by every subcommand: the parser and the input options.

What the options mean is ``netpol_lint.options.Options`` (built once per run with
``Options.from_args``); loading config, rules and input is the library's (``netpol_lint.api``).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field


from ..errors import UsageError


class Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line (CONTRACT.md: exit 2, no usage dump)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UsageError(message)


def add_input_options(p: argparse.ArgumentParser, rules: bool = True) -> None:
    """The options of every command that reads manifests; ``rules=False`` for commands that
    run no rule (reach, connectivity: their --help lists only what they use)."""
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, directories, or - for stdin")
    p.add_argument("--config", metavar="FILE", help="config file (default: discovered .netpol-lint.yaml / pyproject.toml)")
    p.add_argument("--default-namespace", metavar="NS", type=_namespace,
                   help="namespace for resources without one (default: default)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="skip paths matching GLOB (repeatable)")
    p.add_argument("--assume-network-policies", choices=("enabled", "disabled"),
                   help="override what the input's Istio CR says")
    p.add_argument("--platform", choices=("gardener", "generic"), default=None,
                   help="what the cluster runs on: kube-system's labels, CoreDNS's port, the API server "
                        "(default: config, else gardener)")
    if rules:
        p.add_argument("--rules", action="append", default=[], metavar="DIR", help="load extra rules from DIR")
        p.add_argument("--trust-config", action="store_true",
                       help="allow Python rule files from directories named in the config file")
    p.add_argument("--jobs", type=_positive, default=None, metavar="N", help="parallel parsing processes (1 or more)")
    p.add_argument("--max-file-size", type=_size, default=None, metavar="SIZE",
                   help="larger files are NPL001, not read (default 64M; K/M/G suffixes)")
    p.add_argument("--max-depth", type=_positive, default=None, metavar="N",
                   help="deeper-nested documents are NPL001 (default 200)")
    p.add_argument("--max-nodes", type=_positive, default=None, metavar="N",
                   help="documents with more nodes, aliases expanded, are NPL001 (default 2000000)")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail (and tracebacks on internal errors)")


def _size(text: str) -> int:
    from ..load.loader import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _namespace(text: str) -> str:
    from ..config import is_namespace_name

    if not is_namespace_name(text):
        raise argparse.ArgumentTypeError(f"expected a namespace name (lowercase letters, digits and '-', "
                                         f"at most 63 characters), got {text!r}")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return int(text)


@dataclass
class ExitState:
    """Objects a command hands over to be freed by the operating system at exit.

    Only when running as the console script (``cli.entry`` sets ``hard_exit``): freeing the
    millions of small objects of a large run one by one takes ~10% of the run (measured at
    10k documents), and the operating system reclaims the memory in one step anyway.
    In-process callers (tests, the API) are unaffected: nothing is kept.
    """

    hard_exit: bool = False
    kept: list = field(default_factory=list)

    def keep(self, *objects) -> None:
        if self.hard_exit:
            self.kept.extend(objects)


exit_state = ExitState()
