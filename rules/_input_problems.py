"""Shared check for the input rules: the loader's problems become findings of their rule."""
from __future__ import annotations

from netpol_lint.engine.rulebase import Rule


class InputProblemRule(Rule):
    """Reports the loader's ``InputProblem``s whose rule id is this rule's (NPL001, NPL002)."""

    def check(self, ctx):
        for src in ctx.session.files:
            for p in src.problems:
                if p.rule == self.id:
                    yield self.finding(None, p.location, p.message)
