"""One CIDR parser (issue 14 item 12): NPL003 (``validate.parse_cidr``) and the engine
(``ipblocks.IPBlock`` / ``IPSet.from_cidr``) accept exactly the same texts and mean the same
addresses by them, and both follow Go's ``net.ParseCIDR``."""
from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings, strategies as st

from netpol_lint.analysis.ipblocks import V6_OFFSET, IPBlock, IPSet
from netpol_lint.model.cidr import parse_cidr
from netpol_lint.model import validate
from netpol_lint.model.validate import problems
from netpol_lint.load.loader import parse_text, SourceFile
from netpol_lint.model.index import Model

good_octet = st.integers(0, 255).map(str)
bad_octet = st.one_of(st.integers(256, 400).map(str), st.integers(0, 99).map(lambda n: f"0{n}"),
                      st.sampled_from(["", "00", "0x1", " 1", "\u0661"]))
octet = st.one_of(good_octet, good_octet, good_octet, good_octet, good_octet, good_octet, bad_octet)
good_ipv4 = st.lists(good_octet, min_size=4, max_size=4).map(".".join)
ipv4 = st.one_of(good_ipv4, good_ipv4, st.lists(octet, min_size=3, max_size=5).map(".".join))
good_hextet = st.one_of(st.integers(0, 0xFFFF).map(lambda n: f"{n:x}"),
                        st.integers(0, 0xFFFF).map(lambda n: f"{n:04X}"))
hextet = st.one_of(good_hextet, good_hextet, good_hextet, good_hextet, good_hextet,
                   st.sampled_from(["", "12345", "g"]))


@st.composite
def ipv6(draw):
    v4 = draw(st.booleans())
    ellipsis = draw(st.integers(0, 3)) > 0
    full = 8 - 2 * v4                     # the field count that needs no "::"
    n = draw(st.one_of(st.integers(0, full - 1) if ellipsis else st.just(full), st.integers(0, full + 1)))
    groups = draw(st.lists(hextet, min_size=n, max_size=n))
    if ellipsis:
        at = draw(st.integers(0, len(groups)))
        text = ":".join(groups[:at]) + "::" + ":".join(groups[at:])   # a "::" somewhere
    else:
        text = ":".join(groups)
    if v4:
        text += ("" if text.endswith(":") or not text else ":") + draw(ipv4)
    return text


prefix = st.one_of(st.integers(0, 33).map(str), st.integers(0, 130).map(str), st.integers(0, 40).map(lambda n: f"0{n}"),
                   st.sampled_from(["", "-1", "+8", "8 ", "\u0668"]))
blank = st.sampled_from(["", "", "", "", "", " ", "\t", "\n"])
cidr_text = st.builds(lambda a, b, addr, p, slash: f"{a}{addr}{slash}{p}{b}", blank, blank,
                      st.one_of(ipv4, ipv6(), ipv6()), prefix, st.sampled_from(["/", "/", "/", "/", "//", ""]))


def _engine_set(net) -> IPSet:
    base = 0 if net.version == 4 else V6_OFFSET
    return IPSet([(base + int(net.network_address), base + int(net.broadcast_address))])


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=3000, deadline=None)
@given(cidr_text)
def test_npl003_and_the_engine_agree(text):
    net = validate.parse_cidr(text)
    block = IPBlock({"cidr": text})
    assert block.valid == (net is not None), (text, block.problem)
    if net is not None:
        assert block.set == _engine_set(net)
        assert IPSet.from_cidr(text) == block.set
        # what Python's own parser makes of the canonical form is the same network
        assert ipaddress.ip_network(str(net)) == net


@pytest.mark.slow      # property run: CI runs it, `pytest -m "not slow"` does not
@settings(max_examples=1500, deadline=None)
@given(cidr_text)
def test_go_rules(text):
    """Go's rules, checked independently of the parser's code: no blanks, one '/', no
    IPv4 leading zeros, prefix within the family; for the rest Python's own (strict)
    ``ipaddress`` is the oracle, which refuses IPv4 leading zeros like Go >= 1.17."""
    net = parse_cidr(text)
    addr, slash, bits = text.partition("/")
    try:
        oracle = (ipaddress.ip_network((ipaddress.ip_address(addr), int(bits)), strict=False)
                  if addr == addr.strip() and "%" not in addr and bits.isascii() and bits.isdigit() else None)
    except ValueError:
        oracle = None
    assert net == oracle, text
    if net is None:
        return
    assert text == text.strip() and text.count("/") == 1
    addr, bits = text.split("/")
    if ":" not in addr:
        assert all(o == "0" or not o.startswith("0") for o in addr.split("."))
    else:
        tail = addr.rsplit(":", 1)[-1]
        if "." in tail:
            assert all(o == "0" or not o.startswith("0") for o in tail.split("."))
    assert 0 <= int(bits) <= net.max_prefixlen


def test_npl003_reports_what_the_engine_cannot_match():
    """Today's bug: NPL003 passed 010.0.0.0/8 while the engine matched nothing with it."""
    src = parse_text(SourceFile("p.yaml"), """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: ns}
spec:
  podSelector: {}
  ingress: [{from: [{ipBlock: {cidr: 010.0.0.0/8}}]}]
""")
    policy = Model.build([src]).network_policies[0]
    found = problems(policy)
    assert [p.message for p in found] == [
        "spec.ingress[0].from[0].ipBlock.cidr: '010.0.0.0/8' is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    assert not IPBlock({"cidr": "010.0.0.0/8"}).valid
