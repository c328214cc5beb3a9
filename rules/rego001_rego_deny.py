"""REGO001 rego-deny: what the user's Rego `deny`/`violation` rules report (``--policy DIR``).

The rule lives with the Rego engine in ``netpol_lint/rego/rules.py``; this module puts it
in the built-in pack.
"""
from __future__ import annotations

from netpol_lint.rego.rules import RegoDeny

RULE = RegoDeny
