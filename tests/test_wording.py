"""Count agreement: ``netpol_lint.wording`` and the messages built with it."""
from __future__ import annotations

from netpol_lint.wording import count, plural


def test_plural_takes_a_count_or_a_collection():
    assert plural(1, "policy", "policies") == "policy"
    assert plural(0, "policy", "policies") == "policies"
    assert plural(["a"], "admits", "admit") == "admits"
    assert plural(["a", "b"], "admits", "admit") == "admit"
    assert plural(2, "finding") == "findings"


def test_count_writes_the_number():
    assert count(1, "finding") == "1 finding"
    assert count(0, "finding") == "0 findings"
    assert count({"x", "y", "z"}, "policy", "policies") == "3 policies"
