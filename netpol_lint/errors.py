"""The errors that end a run with exit 2 ("the tool could not do its job", CONTRACT.md).

Every such error derives from ``NetpolLintError`` and carries its exit code, so the CLI has
one ``except`` for all of them and the library API (``netpol_lint.api``) raises the same
types an embedding tool can catch.  Findings are never errors: unparseable input is NPL001.
"""
from __future__ import annotations


class NetpolLintError(Exception):
    """A run cannot do its job: one line for the user, exit ``exit_code``."""

    exit_code = 2


class UsageError(NetpolLintError):
    """Bad command-line usage or API arguments."""


class ConfigError(NetpolLintError):
    """The configuration file is missing, unreadable or invalid."""


class InputError(NetpolLintError):
    """The tool cannot read what it was asked to (a missing path, an unreadable baseline)."""


class PluginError(NetpolLintError):
    """A rule source (entry point, ``--rules`` directory, Rego policy) fails to load."""
