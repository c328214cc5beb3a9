"""Sets of (protocol, port) as interval lists, and the ``ports`` field of NetworkPolicy rules.

``PortSet`` is immutable and normalised (sorted, merged intervals per protocol), so equal
sets compare and hash equal and fold to the same text: ``TCP 80,8080-8090,UDP 53`` or
``All Connections`` (the wording netpol-analyzer uses, so outputs can be compared).

``RulePorts`` is the compiled ``ports`` list of one rule.  Numeric entries are folded once;
named entries are kept by (name, protocol) and resolved against the *destination* pod's
container ports, where Kubernetes resolves them (for ingress rules the selected pod, for
egress rules the peer).  A port resolves only when both name and protocol match.  Malformed
entries contribute nothing (the API server would reject them; NPL003 reports them).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Union

from ..model.validate import is_int
from .intervals import intersect, subtract
from ..wording import plural

if TYPE_CHECKING:  # pragma: no cover
    from ..model.resources import ContainerPort

# PortSet.to_json: ``"All Connections"`` or ``{"TCP": [[lo, hi], ...], ...}``
PortsJSON = Union[str, dict[str, list[list[int]]]]

PROTOCOLS = ("SCTP", "TCP", "UDP")        # sorted: the order used in text and JSON
MIN_PORT, MAX_PORT = 1, 65535
ALL_CONNECTIONS = "All Connections"
NO_CONNECTIONS = "No Connections"
_SVC_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def valid_port_name(name: str) -> bool:
    """IANA_SVC_NAME: at most 15 lowercase alphanumerics or '-', a letter, no '--'/edge '-'."""
    return (0 < len(name) <= 15 and bool(_SVC_NAME.match(name)) and "--" not in name
            and any(c.isalpha() for c in name))


def _normalise(ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1][1] = hi
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


class PortSet:
    """An immutable set of ports per protocol."""

    __slots__ = ("_r", "_hash")

    def __init__(self, ranges: Mapping[str, Iterable[tuple[int, int]]] | None = None):
        r = {}
        for proto, rs in (ranges or {}).items():
            n = _normalise(rs)
            if n:
                r[proto] = n
        self._r: dict[str, tuple[tuple[int, int], ...]] = r
        self._hash: int | None = None

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def all(cls) -> "PortSet":
        return ALL

    @classmethod
    def of(cls, protocol: str, lo: int, hi: int | None = None) -> "PortSet":
        return cls({protocol: [(lo, lo if hi is None else hi)]})

    @classmethod
    def from_json(cls, data: Any) -> "PortSet":
        """Inverse of ``to_json``: ``"All Connections"`` or ``{"TCP": [[lo, hi], ...]}``."""
        if data == ALL_CONNECTIONS:
            return ALL
        return cls({p: [tuple(r) for r in rs] for p, rs in (data or {}).items()})

    # -- queries ------------------------------------------------------------------------
    def ranges(self, protocol: str) -> tuple[tuple[int, int], ...]:
        return self._r.get(protocol, ())

    @property
    def protocols(self) -> tuple[str, ...]:
        return tuple(p for p in PROTOCOLS if p in self._r) + tuple(sorted(p for p in self._r if p not in PROTOCOLS))

    def contains(self, port: int, protocol: str = "TCP") -> bool:
        for lo, hi in self._r.get(protocol, ()):
            if lo <= port <= hi:
                return True
            if lo > port:
                return False
        return False

    def __contains__(self, item: tuple[int, str]) -> bool:
        """``(port, protocol) in ports``."""
        return self.contains(*item)

    @property
    def is_all(self) -> bool:
        return all(self._r.get(p) == ((MIN_PORT, MAX_PORT),) for p in PROTOCOLS)

    def __bool__(self) -> bool:
        return bool(self._r)

    # -- algebra ------------------------------------------------------------------------
    def __or__(self, other: "PortSet") -> "PortSet":
        if not other._r or self is other:
            return self
        if not self._r:
            return other
        return PortSet({p: self._r.get(p, ()) + other._r.get(p, ()) for p in set(self._r) | set(other._r)})

    def __and__(self, other: "PortSet") -> "PortSet":
        if self is other or other is ALL:
            return self
        if self is ALL:
            return other
        out = {}
        for p in set(self._r) & set(other._r):
            rs = intersect(self._r[p], other._r[p])
            if rs:
                out[p] = rs
        return PortSet(out)

    def __sub__(self, other: "PortSet") -> "PortSet":
        """Ports in ``self`` and not in ``other``."""
        out = {}
        for p in self.protocols:
            rs = subtract(self.ranges(p), list(other.ranges(p)))
            if rs:
                out[p] = rs
        return PortSet(out)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PortSet) and self._r == other._r

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(sorted(self._r.items())))
        return self._hash

    # -- rendering ----------------------------------------------------------------------
    def to_text(self) -> str:
        """``All Connections``, ``No Connections`` or ``SCTP 7070,TCP 8080-8081,UDP 9090``."""
        if self.is_all:
            return ALL_CONNECTIONS
        if not self._r:
            return NO_CONNECTIONS
        parts = []
        for p in self.protocols:
            parts.append(p + " " + ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in self._r[p]))
        return ",".join(parts)

    def describe(self) -> str:
        """The set in words, for messages (``to_text`` is netpol-analyzer's form, for outputs
        compared with it): ``all ports and protocols``, ``no port``, ``all TCP ports``,
        ``TCP port 5432``, ``TCP ports 5432 and 9000-9200 and UDP port 53``."""
        if self.is_all:
            return "all ports and protocols"
        if not self._r:
            return "no port"
        parts: list[str] = []
        for p in sorted(self.protocols, key=lambda p: (_READING_ORDER.get(p, 3), p)):
            rs = self._r[p]
            if rs == ((MIN_PORT, MAX_PORT),):
                parts.append(f"all {p} ports")
                continue
            many = len(rs) > 1 or rs[0][0] != rs[0][1]
            items = [str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in rs]
            listed = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
            parts.append(f"{p} {plural(2 if many else 1, 'port')} {listed}")
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    @property
    def single(self) -> tuple[str, int] | None:
        """(protocol, port) when the set holds exactly one port, else None."""
        if len(self._r) != 1:
            return None
        (p, rs), = self._r.items()
        return (p, rs[0][0]) if len(rs) == 1 and rs[0][0] == rs[0][1] else None

    def only(self, protocol: str | None) -> "PortSet":
        """The ports of ``protocol`` (all of them for None)."""
        return self if protocol is None else PortSet({protocol: self.ranges(protocol)})

    def to_json(self) -> PortsJSON:
        """``"All Connections"`` or ``{"TCP": [[lo, hi], ...], ...}`` (protocols sorted)."""
        if self.is_all:
            return ALL_CONNECTIONS
        return {p: [[lo, hi] for lo, hi in self._r[p]] for p in self.protocols}

    def __repr__(self) -> str:
        return f"PortSet({self.to_text()})"


_READING_ORDER = {"TCP": 0, "UDP": 1, "SCTP": 2}     # in words: the common protocols first
ALL = PortSet({p: [(MIN_PORT, MAX_PORT)] for p in PROTOCOLS})
EMPTY = PortSet()


class PortEntry:
    """One entry of a rule's ``ports`` list, validated.

    ``kind`` is ``"all"`` (protocol only), ``"range"`` (numeric port, optional endPort),
    ``"named"`` or ``"invalid"`` (matches nothing).
    """

    __slots__ = ("kind", "protocol", "lo", "hi", "name", "problem")

    def __init__(self, kind: str, protocol: str = "TCP", lo: int = 0, hi: int = 0, name: str = "",
                 problem: str = ""):
        self.kind, self.protocol, self.lo, self.hi, self.name, self.problem = kind, protocol, lo, hi, name, problem

    def describe(self) -> str:
        if self.kind == "all":
            return f"{self.protocol} (all ports)"
        if self.kind == "range":
            return f"{self.protocol} {self.lo}" + (f"-{self.hi}" if self.hi != self.lo else "")
        if self.kind == "named":
            return f"{self.protocol} '{self.name}'"
        return f"invalid port entry ({self.problem})"


def parse_port_entry(raw: Any) -> PortEntry:
    if not isinstance(raw, dict) or set(raw) - {"port", "protocol", "endPort"}:
        return PortEntry("invalid", problem="not a {port, protocol, endPort} mapping")
    proto = raw.get("protocol")
    if proto is None:
        proto = "TCP"
    if proto not in PROTOCOLS:
        return PortEntry("invalid", problem=f"protocol {proto!r}")
    port, end = raw.get("port"), raw.get("endPort")
    if port is None:
        if end is not None:
            return PortEntry("invalid", proto, problem="endPort without port")
        return PortEntry("all", proto)
    if is_int(port):
        if not MIN_PORT <= port <= MAX_PORT:
            return PortEntry("invalid", proto, problem=f"port {port} out of range")
        if end is None:
            return PortEntry("range", proto, port, port)
        if not is_int(end) or not port <= end <= MAX_PORT:
            return PortEntry("invalid", proto, problem=f"endPort {end!r}")
        return PortEntry("range", proto, port, end)
    if isinstance(port, str) and valid_port_name(port):
        if end is not None:
            return PortEntry("invalid", proto, problem="endPort with a named port")
        return PortEntry("named", proto, name=port)
    return PortEntry("invalid", proto, problem=f"port {port!r}")


class RulePorts:
    """The compiled ``ports`` of one rule: all ports, or numeric ranges plus named ports."""

    __slots__ = ("entries", "any", "static", "named", "_cache")
    static: PortSet
    named: tuple[tuple[str, str], ...]             # (port name, protocol)

    def __init__(self, raw: Any):
        self.entries: tuple[PortEntry, ...] = ()
        self.any = False
        self._cache: dict[Any, PortSet] = {}
        if raw is None or (isinstance(raw, list) and not raw):
            self.any = True          # missing or empty: every port and protocol
            self.static, self.named = ALL, ()
            return
        if not isinstance(raw, list):
            self.entries = (PortEntry("invalid", problem="ports is not a list"),)
            self.static, self.named = EMPTY, ()
            return
        self.entries = tuple(parse_port_entry(e) for e in raw)
        ranges: dict[str, list[tuple[int, int]]] = {}
        for e in self.entries:
            if e.kind == "all":
                ranges.setdefault(e.protocol, []).append((MIN_PORT, MAX_PORT))
            elif e.kind == "range":
                ranges.setdefault(e.protocol, []).append((e.lo, e.hi))
        self.static = PortSet(ranges)
        self.named = tuple((e.name, e.protocol) for e in self.entries if e.kind == "named")

    def resolve(self, dst_ports: tuple[ContainerPort, ...], key: Any = None) -> PortSet:
        """The ports this rule admits towards a destination with ``dst_ports`` (ContainerPorts).

        ``key`` identifies the destination for caching (named ports only).
        """
        if not self.named:
            return self.static
        if key is not None and key in self._cache:
            return self._cache[key]
        extra: dict[str, list[tuple[int, int]]] = {}
        for name, proto in self.named:
            for cp in dst_ports:
                if cp.name == name and cp.protocol == proto and MIN_PORT <= cp.port <= MAX_PORT:
                    extra.setdefault(proto, []).append((cp.port, cp.port))
        result = self.static | PortSet(extra) if extra else self.static
        if key is not None:
            self._cache[key] = result
        return result

    def match_entry(self, port: int, protocol: str, dst_ports: tuple[ContainerPort, ...]) -> int | None:
        """Index of the first entry admitting ``port/protocol`` (-1: no ports list), else None."""
        if self.any:
            return -1
        for i, e in enumerate(self.entries):
            if e.protocol != protocol:
                continue
            if e.kind == "all" or (e.kind == "range" and e.lo <= port <= e.hi):
                return i
            if e.kind == "named" and any(cp.name == e.name and cp.protocol == protocol and cp.port == port
                                         for cp in dst_ports):
                return i
        return None

    def describe(self) -> str:
        if self.any:
            return "all ports"
        return ", ".join(e.describe() for e in self.entries) or "no ports"


def resolve_named_port(name: str, protocol: str, dst_ports: tuple[ContainerPort, ...]) -> int | None:
    """The container port number named ``name`` with ``protocol`` on a destination, if any."""
    for cp in dst_ports:
        if cp.name == name and cp.protocol == protocol:
            return cp.port
    return None
