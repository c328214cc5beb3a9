"""REGO002 rego-warn: what the user's Rego `warn` rules report (``--policy DIR``).

The rule lives with the Rego engine in ``netpol_lint/rego/rules.py``; this module puts it
in the built-in pack.
"""
from __future__ import annotations

from netpol_lint.rego.rules import RegoWarn

RULE = RegoWarn
