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

import pluggy

hookspec = pluggy.HookspecMarker("netpol_lint")


# -- rules ---------------------------------------------------------------------------------
@hookspec
def netpol_lint_rules():
    """Return an iterable of rules this plugin provides.

    Items may be ``Rule`` subclasses (instantiated once per run) or ``Rule`` instances
    (declarative rules are instances of ``netpol_lint.engine.declarative.DeclarativeRule``).  Rule ids
    must be unique across all plugins; a clash is a load error (exit 2).

    A rule's ``check(ctx)`` reads the model and never writes to it: resource data is shared
    between equal parts of documents (``netpol_lint/load/share.py``); copy before changing.
    """


# -- lifecycle -----------------------------------------------------------------------------
@hookspec
def netpol_lint_configure(config):
    """Called once with the validated ``Config`` before any rule runs (read-only)."""


@hookspec
def netpol_lint_findings(findings, ctx):
    """Called with the final list of reported findings (after suppression, sorted).

    For plugins that export findings somewhere else (a dashboard, a file).  The return
    value is ignored; do not mutate the list.
    """
