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


def test_port_sets_in_words():
    from netpol_lint.analysis.portsets import ALL, EMPTY, PortSet

    assert ALL.describe() == "all ports and protocols"
    assert EMPTY.describe() == "no port"
    assert PortSet.of("TCP", 8080).describe() == "TCP port 8080"
    assert PortSet.of("TCP", 8080, 8081).describe() == "TCP ports 8080-8081"
    assert PortSet({"TCP": [(1, 65535)], "UDP": [(53, 53)]}).describe() == "all TCP ports and UDP port 53"
    assert (PortSet({"SCTP": [(3868, 3868)], "TCP": [(80, 80), (9000, 9200)], "UDP": [(53, 53)]}).describe()
            == "TCP ports 80 and 9000-9200, UDP port 53 and SCTP port 3868")
