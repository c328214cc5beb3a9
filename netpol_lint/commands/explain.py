"""Explain one rule: what it does, why, a bad and a good example, and the fix."""
from __future__ import annotations

import json
import sys

from ..api import load_config_and_rules
from ..errors import UsageError
from ..options import Options


def add_arguments(p) -> None:
    p.add_argument("rule", metavar="RULE", help="rule id (NPL101) or name (missing-from-ingressgateway-label)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--config", metavar="FILE")
    p.add_argument("--rules", action="append", default=[], metavar="DIR")
    p.add_argument("-v", "--verbose", action="store_true")


def render_text(rule) -> str:
    d = rule.doc()
    state = "enabled" if d["enabled"] else "off by default"
    lines = [f"{d['id']} {d['name']}", f"Default severity: {d['severity']} ({state}); "
             f"fixable: {'yes' if d['fixable'] else 'no'}", "", "What it does", "  " + d["summary"]]
    if d["rationale"]:
        lines += ["", "Why is this bad?", "  " + d["rationale"]]
    if d["bad_example"]:
        lines += ["", "Example", _indent(d["bad_example"])]
    if d["good_example"]:
        lines += ["", "Use instead", _indent(d["good_example"])]
    if d["fix"]:
        lines += ["", "Fix", "  " + d["fix"]]
    if d.get("options"):
        lines += ["", f"Options (config: rule_options: {{{d['id']}: {{NAME: VALUE}}}})"]
        lines += [f"  {name} (default {json.dumps(o['default'])}): {o['help']}" for name, o in d["options"].items()]
    return "\n".join(lines) + "\n"


def _indent(text: str) -> str:
    return "\n".join("    " + ln if ln else "" for ln in text.rstrip().splitlines())


def run(args) -> int:
    _, registry = load_config_and_rules(Options.from_args(args))
    rule = registry.resolve(args.rule)
    if rule is None:
        raise UsageError(f"unknown rule '{args.rule}' (see 'netpol-lint rules')")
    if args.format == "json":
        sys.stdout.write(json.dumps(rule.doc(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(rule))
    return 0
