"""The documented extension surface of netpol-lint (pluggy hook specifications).

A plugin is any module or object with functions decorated by ``netpol_lint.hookimpl``,
registered through the ``netpol_lint`` entry-point group, a ``--rules DIR`` / config
``rules:`` directory, or built in.  Built-in rules use exactly the same path as third-party
ones: the rule pack ``netpol_lint.rules`` is itself an entry point.

Example plugin (``pyproject.toml``: ``[project.entry-points.netpol_lint] mine = "my_rules"``)::

    from netpol_lint import hookimpl
    from netpol_lint.engine.rulebase import Rule

    class NoLatestTag(Rule):
        id, name, severity = "X001", "no-latest-tag", "warning"
        summary = "Checks for images tagged latest."
        def check(self, ctx):
            for w in ctx.model.workloads:
                ...
                yield self.finding(w, w.locate("spec"), "image uses :latest")

    @hookimpl
    def netpol_lint_rules():
        return [NoLatestTag]
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config
    from .findings import Finding
    from .linter import LintContext
    from .rulebase import Rule

hookspec = pluggy.HookspecMarker("netpol_lint")
#: Decorator for plugin hook implementations (re-exported as ``netpol_lint.hookimpl``).
hookimpl = pluggy.HookimplMarker("netpol_lint")


# -- rules ---------------------------------------------------------------------------------
@hookspec
def netpol_lint_rules() -> "Iterable[type[Rule] | Rule]":  # type: ignore[empty-body]  # a hook spec has no body
    """Return an iterable of rules this plugin provides.

    Items may be ``Rule`` subclasses (instantiated once per run) or ``Rule`` instances
    (declarative rules are instances of ``netpol_lint.engine.declarative.DeclarativeRule``).  Rule ids
    must be unique across all plugins; a clash is a load error (exit 2).

    A rule's ``check(ctx)`` reads the model and never writes to it: resource data is shared
    between equal parts of documents (``netpol_lint/load/share.py``); copy before changing.
    """


# -- lifecycle -----------------------------------------------------------------------------
@hookspec
def netpol_lint_configure(config: "Config") -> None:
    """Called once with the validated ``Config`` before any rule runs (read-only)."""


@hookspec
def netpol_lint_findings(findings: "list[Finding]", ctx: "LintContext") -> None:
    """Called once per run with exactly the findings the report shows: after every stage of
    the pipeline (severities, one cause one finding, origin remapping, suppressions,
    ``--changed-only``, ``--baseline``), sorted.  Under ``--fix`` it is called once, with what
    remains after fixing.

    For plugins that export findings somewhere else (a dashboard, a file).  The return
    value is ignored; findings are immutable.
    """
