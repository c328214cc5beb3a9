"""Shared check for the input rules: the loader's problems (data) become findings of a rule.

``load/`` knows nothing of rule ids: it reports an ``InputProblem`` with a kind
(``load.loader.PROBLEM_KINDS``); each input rule names the kinds it reports.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from netpol_lint.engine.findings import Finding
from netpol_lint.engine.linter import LintContext
from netpol_lint.engine.rulebase import Rule


class InputProblemRule(Rule):
    """Reports the loader's ``InputProblem``s of the kinds in ``problem_kinds``."""

    problem_kinds: ClassVar[frozenset[str]] = frozenset()

    def check(self, ctx: LintContext) -> Iterator[Finding]:
        for src in ctx.session.files:
            for p in src.problems:
                if p.kind in self.problem_kinds:
                    yield self.finding(None, p.location, p.message)
