"""IP address sets for ``ipBlock`` peers: IPv4 and IPv6 in one interval space.

Addresses live on one integer line: IPv4 ``a`` maps to ``a``, IPv6 ``b`` to ``2**32 + b``,
so one sorted interval list can hold both families and the set algebra (union, difference,
containment) stays simple and exact.  ``ipBlock.cidr`` minus its ``except`` list is one
``IPSet``.

``split_atoms`` partitions address space the way netpol-analyzer reports external peers:
every boundary of every referenced block (after excepts) cuts the space, so each resulting
range is either wholly inside or wholly outside every block and one evaluation per range
is exact.

``selects_unknown_pod`` decides whether an ipBlock selects a pod whose address the input
does not say (CONTRACT.md ``--ipblock-pods by-ip``).
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable

from ..model.cidr import parse_cidr
from .intervals import intersect, subtract

V6_OFFSET = 1 << 32
V4_END = V6_OFFSET - 1
V6_END = V6_OFFSET + (1 << 128) - 1

# Where pod and node addresses live when the user configured no pod CIDRs (RFC 1918,
# CGNAT as used by e.g. Gardener/k3s pod networks, IPv6 ULA).
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")


def to_int(addr: str) -> int:
    """Unified integer of an IPv4/IPv6 address string (ValueError if invalid)."""
    ip = ipaddress.ip_address(addr.strip())
    return int(ip) if ip.version == 4 else V6_OFFSET + int(ip)


def from_int(value: int) -> str:
    if value <= V4_END:
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value - V6_OFFSET))


class IPSet:
    """An immutable, normalised set of addresses (sorted, merged inclusive intervals)."""

    __slots__ = ("intervals",)

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()):
        merged: list[list[int]] = []
        for lo, hi in sorted(intervals):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        self.intervals: tuple[tuple[int, int], ...] = tuple((a, b) for a, b in merged)

    @classmethod
    def from_cidr(cls, cidr: str) -> "IPSet":
        """Set of a CIDR (``model/cidr.py``: Go's ``net.ParseCIDR``, host bits allowed);
        ValueError if invalid."""
        net = parse_cidr(cidr)
        if net is None:
            raise ValueError(f"not a CIDR: {cidr!r}")
        base = 0 if net.version == 4 else V6_OFFSET
        return cls([(base + int(net.network_address), base + int(net.broadcast_address))])

    @classmethod
    def universe(cls, ipv6: bool = True) -> "IPSet":
        return cls([(0, V6_END if ipv6 else V4_END)])

    def __bool__(self) -> bool:
        return bool(self.intervals)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IPSet) and self.intervals == other.intervals

    def __hash__(self) -> int:
        return hash(self.intervals)

    def contains(self, value: int) -> bool:
        for lo, hi in self.intervals:
            if lo <= value <= hi:
                return True
            if lo > value:
                return False
        return False

    def covers(self, other: "IPSet") -> bool:
        """True when every address of ``other`` is in this set."""
        return not (other - self)

    def overlaps(self, other: "IPSet") -> bool:
        return bool(self & other)

    def __or__(self, other: "IPSet") -> "IPSet":
        return IPSet(self.intervals + other.intervals)

    def __and__(self, other: "IPSet") -> "IPSet":
        return IPSet(intersect(self.intervals, other.intervals))

    def __sub__(self, other: "IPSet") -> "IPSet":
        return IPSet(subtract(self.intervals, other.intervals))

    @property
    def has_ipv6(self) -> bool:
        return bool(self.intervals) and self.intervals[-1][1] >= V6_OFFSET

    def text(self) -> str:
        """``10.0.0.0-10.255.255.255,172.16.0.0-...`` (inclusive ranges)."""
        return ",".join(range_text(lo, hi) for lo, hi in self.intervals)

    def __repr__(self) -> str:
        return f"IPSet({self.text()})"


def range_text(lo: int, hi: int) -> str:
    return f"{from_int(lo)}-{from_int(hi)}"


_RANGE_ID = re.compile(r"\bip:([0-9A-Fa-f.:]+)-([0-9A-Fa-f.:]+)")


def readable_ranges(text: str) -> str:
    """Text output with address ranges as CIDRs: ``ip:0.0.0.0-255.255.255.255`` becomes
    ``0.0.0.0/0`` (a range that is up to four CIDR blocks becomes those, comma-separated).
    Endpoint ids keep the ``LO-HI`` form in JSON (netpol-analyzer's naming)."""
    if "ip:" not in text:
        return text

    def cidrs(m: re.Match[str]) -> str:
        try:
            lo, hi = ipaddress.ip_address(m.group(1)), ipaddress.ip_address(m.group(2))
            blocks = list(ipaddress.summarize_address_range(lo, hi))
        except (ValueError, TypeError):
            return m.group(0)
        return ",".join(map(str, blocks)) if len(blocks) <= 4 else m.group(0)
    return _RANGE_ID.sub(cidrs, text)


PRIVATE = IPSet()
for _c in PRIVATE_RANGES:
    PRIVATE = PRIVATE | IPSet.from_cidr(_c)


class IPBlock:
    """A validated ``ipBlock``: ``cidr`` minus ``except``; ``valid`` False matches nothing."""

    __slots__ = ("cidr_text", "cidr", "excepts", "set", "valid", "problem", "prefix_len")

    def __init__(self, raw: Any):
        self.cidr_text, self.cidr, self.excepts, self.set = "", IPSet(), IPSet(), IPSet()
        self.valid, self.problem, self.prefix_len = False, "", -1
        if not isinstance(raw, dict) or set(raw) - {"cidr", "except"}:
            self.problem = "ipBlock is not a {cidr, except} mapping"
            return
        cidr, excepts = raw.get("cidr"), raw.get("except")
        if not isinstance(cidr, str):
            self.problem = "ipBlock.cidr is missing"
            return
        net = parse_cidr(cidr)
        if net is None:
            self.problem = f"bad CIDR {cidr!r}"
            return
        self.cidr_text, self.cidr, self.prefix_len = cidr, IPSet.from_cidr(cidr), net.prefixlen
        exc = IPSet()
        if excepts is not None:
            if not isinstance(excepts, list):
                self.problem = "ipBlock.except is not a list"
                return
            for e in excepts:
                enet = parse_cidr(e)
                if enet is None or enet.version != net.version or not enet.subnet_of(net) or enet.prefixlen <= net.prefixlen:  # type: ignore[arg-type]  # same version: checked first
                    self.problem = f"except {e!r} is not a strict subset of {cidr}"
                    return
                exc = exc | IPSet.from_cidr(e)
        self.excepts, self.set, self.valid = exc, self.cidr - exc, True

    def describe(self) -> str:
        if not self.valid:
            return f"invalid ipBlock ({self.problem})"
        if self.excepts:
            return f"ipBlock {self.cidr_text} except {self.excepts.text()}"
        return f"ipBlock {self.cidr_text}"


def selects_unknown_pod(block: IPBlock, pod_cidrs: list[IPSet], host_network: bool = False) -> bool:
    """Does ``block`` select a pod of unknown address (``--ipblock-pods by-ip``)?

    With configured pod CIDRs: when, for some address family, the block (outside its excepts)
    covers every configured pod CIDR of that family.  Without: when the block is a whole
    family (``/0``) whose excepts avoid the private and CGNAT ranges pods use.  A hostNetwork
    pod has its node's address, which could be anything: only a whole family without excepts
    is sure to contain it.
    """
    if not block.valid:
        return False
    if host_network:
        return block.prefix_len == 0 and not block.excepts
    if pod_cidrs:
        for family in (4, 6):
            mine = [c for c in pod_cidrs if c.has_ipv6 == (family == 6)]
            if mine and all(block.set.covers(c) for c in mine):
                return True
        return False
    return block.prefix_len == 0 and not block.excepts.overlaps(PRIVATE)


def split_atoms(sets: Iterable[IPSet], universe: IPSet) -> list[tuple[int, int]]:
    """Partition ``universe`` at every boundary of ``sets`` (the netpol-analyzer split).

    Each returned inclusive range lies wholly inside or wholly outside every given set.
    """
    cuts = {V6_OFFSET}
    for s in sets:
        for lo, hi in s.intervals:
            cuts.add(lo)
            cuts.add(hi + 1)
    out = []
    for ulo, uhi in universe.intervals:
        points = sorted(c for c in cuts if ulo < c <= uhi)
        start = ulo
        for p in points:
            out.append((start, p - 1))
            start = p
        out.append((start, uhi))
    return out
