"""List every rule: id, name, default severity, enabled by default."""
from __future__ import annotations

import argparse
import json
import sys

from ..api import load_config_and_rules
from ..options import Options


def add_arguments(p) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--config", metavar="FILE", help="config file (its rule directories are loaded)")
    p.add_argument("--rules", action="append", default=[], metavar="DIR", help="load extra rules from DIR")
    p.add_argument("--trust-config", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("-v", "--verbose", action="store_true")


def run(args) -> int:
    _, registry = load_config_and_rules(Options.from_args(args))
    rules = registry.sorted()
    if args.format == "json":
        sys.stdout.write(json.dumps([r.doc() for r in rules], indent=2) + "\n")
        return 0
    w = max(len(r.name) for r in rules)
    wid = max(len(r.id) for r in rules)            # REGO001, a plugin's LONGID1: columns stay aligned
    for r in rules:
        flags = ("fixable" if r.fixable else "") + ("" if r.enabled_by_default else (", " if r.fixable else "") + "off by default")
        sys.stdout.write(f"{r.id:<{wid}}  {r.name:<{w}}  {r.severity:<7}  {flags}\n".rstrip() + "\n")
    return 0
