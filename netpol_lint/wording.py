"""Count agreement in messages: one helper instead of ``'s' * (n != 1)`` at every call site.

``plural(policies, "NetworkPolicy", "NetworkPolicies")`` picks the word for a count (an
``int``) or a collection (its ``len``); ``count(n, "finding")`` writes the number too
("1 finding", "2 findings"); verbs agree the same way (``plural(names, "admits", "admit")``).
"""
from __future__ import annotations

from collections.abc import Sized


def plural(n: int | Sized, one: str, many: str | None = None) -> str:
    """``one`` for a count of 1, else ``many`` (default: ``one`` + "s")."""
    k = n if isinstance(n, int) else len(n)
    return one if k == 1 else (many if many is not None else one + "s")


def count(n: int | Sized, one: str, many: str | None = None) -> str:
    """``"1 finding"``, ``"0 findings"``, ``"3 policies"`` (``count(3, "policy", "policies")``)."""
    k = n if isinstance(n, int) else len(n)
    return f"{k} {plural(k, one, many)}"
