"""Connection changes between two networks: the common core of ``impact`` and ``diff``.

Both commands ask the same question of two states — policies off versus on (``impact``), the
base revision versus the working tree (``diff``) — so the comparison lives here and adds no
semantics of its own: every port set comes from the reachability engine, folded per ordered
pair of endpoints exactly as ``connectivity`` folds it (``TCP 80,8080-8090,UDP 53``).

Workload pairs are matched by endpoint id (``ns/name``).  External address ranges need care:
each network splits the address space at its own ipBlock boundaries, so the two states may
cut it differently.  The comparison cuts it at the boundaries of *both* (every range is then
treated uniformly by every policy of both states), asks each engine about each range, and
merges neighbouring ranges whose before/after pair is the same — so an unchanged address
space yields no lines and a changed one yields the widest ranges that changed alike.  (The
deciding policies are recorded for workload pairs; a merged range spans several engine
queries, so its changes carry none.)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, cast

from .endpoints import Endpoint, external_range
from .ipblocks import V4_END, V6_END, V6_OFFSET
from .portsets import EMPTY, PortSet
from .reachability import Connection, Network

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


def port_difference(a: PortSet, b: PortSet) -> PortSet:
    """Ports in ``a`` and not in ``b``."""
    return a - b


@dataclass(frozen=True)
class ConnChange:
    """One ordered pair whose allowed ports differ between the two states."""

    src: Endpoint
    dst: Endpoint
    before: PortSet
    after: PortSet
    before_policies: tuple[str, ...] = ()    # policies that admitted it before (both sides)
    after_policies: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        if not self.before:
            return ADDED
        if not self.after:
            return REMOVED
        return CHANGED

    @property
    def lost(self) -> PortSet:
        return port_difference(self.before, self.after)

    @property
    def gained(self) -> PortSet:
        return port_difference(self.after, self.before)

    @property
    def key(self) -> tuple[tuple[int, int, str], tuple[int, int, str]]:
        return (_order(self.src), _order(self.dst))

    def text(self) -> str:
        """``SRC => DST : PORTS`` (added/removed) or ``SRC => DST : BEFORE -> AFTER``."""
        head = f"{self.src.id} => {self.dst.id} : "
        if self.kind == ADDED:
            return head + self.after.to_text()
        if self.kind == REMOVED:
            return head + self.before.to_text()
        return head + f"{self.before.to_text()} -> {self.after.to_text()}"

    def transition(self) -> str:
        """``SRC => DST : BEFORE -> AFTER`` whatever the kind (``No Connections`` for none)."""
        return f"{self.src.id} => {self.dst.id} : {self.before.to_text()} -> {self.after.to_text()}"

    def to_json(self) -> dict[str, Any]:
        return {"from": self.src.id, "to": self.dst.id, "change": self.kind,
                "before": self.before.to_text(), "after": self.after.to_text(),
                "before_connections": self.before.to_json() if self.before else None,
                "after_connections": self.after.to_json() if self.after else None,
                "lost": self.lost.to_text(), "gained": self.gained.to_text(),
                "before_policies": list(self.before_policies), "after_policies": list(self.after_policies)}


def compare(before: Network, after: Network, include_external: bool = True) -> list[ConnChange]:
    """Every ordered pair whose port set differs, sorted like ``connectivity`` (sources, then
    destinations; workloads by id before external ranges by address)."""
    changes = _internal_changes(before, after)
    if include_external:
        changes.extend(_external_changes(before, after))
    changes.sort(key=lambda c: c.key)
    return changes


def _internal_changes(before: Network, after: Network) -> list[ConnChange]:
    old = {(c.src.id, c.dst.id): c for c in before.connections(include_external=False)}
    new = {(c.src.id, c.dst.id): c for c in after.connections(include_external=False)}
    out = []
    for key in set(old) | set(new):
        a, b = old.get(key), new.get(key)
        pa, pb = (a.ports if a else EMPTY), (b.ports if b else EMPTY)
        if pa == pb:
            continue
        ref = cast(Connection, b or a)      # the key comes from one of them
        out.append(ConnChange(ref.src, ref.dst, pa, pb,
                              _policies(a), _policies(b)))
    return out


def _policies(c: Connection | None) -> tuple[str, ...]:
    if c is None:
        return ()
    return tuple(sorted(set(c.egress_policies) | set(c.ingress_policies)))


def common_atoms(networks: Iterable[Network]) -> list[tuple[int, int]]:
    """Address ranges cut at every network's ipBlock boundaries, both directions."""
    starts = {0}
    ipv6 = False
    for net in networks:
        for direction in ("Ingress", "Egress"):
            for atom in net.external_atoms(direction):
                starts.add(atom.address)
                ipv6 = ipv6 or atom.address >= V6_OFFSET
    end = V6_END if ipv6 else V4_END
    if ipv6:
        starts.add(V6_OFFSET)
    points = sorted(s for s in starts if s <= end)
    return [(lo, (points[i + 1] - 1) if i + 1 < len(points) else end) for i, lo in enumerate(points)]


def _external_changes(before: Network, after: Network) -> list[ConnChange]:
    # one external endpoint per atom, shared by every endpoint and direction (read-only)
    atoms = [(lo, hi, external_range(lo, hi)) for lo, hi in common_atoms((before, after))]
    old = {e.id: e for e in before.endpoints}
    new = {e.id: e for e in after.endpoints}
    out: list[ConnChange] = []
    for eid in sorted(set(old) | set(new)):
        a, b = old.get(eid), new.get(eid)
        ref = cast(Endpoint, b or a)        # the id comes from one of them
        # sources outside the cluster connecting to the endpoint, then the reverse
        for inbound in (True, False):
            runs: list[list[Any]] = []     # [lo, hi, before, after]: int, int, PortSet, PortSet
            for lo, hi, atom in atoms:
                pa = _external_ports(before, a, atom, inbound)
                pb = _external_ports(after, b, atom, inbound)
                if runs and runs[-1][1] + 1 == lo and lo != V6_OFFSET and runs[-1][2] == pa and runs[-1][3] == pb:
                    runs[-1][1] = hi
                else:
                    runs.append([lo, hi, pa, pb])
            for lo, hi, pa, pb in runs:
                if pa == pb:
                    continue
                atom = external_range(lo, hi)
                out.append(ConnChange(atom, ref, pa, pb) if inbound else ConnChange(ref, atom, pa, pb))
    return out


def _external_ports(net: Network, ep: Endpoint | None, atom: Endpoint, inbound: bool) -> PortSet:
    if ep is None:
        return EMPTY
    return net.reachable_ports(atom, ep) if inbound else net.reachable_ports(ep, atom)


def _order(e: Endpoint) -> tuple[int, int, str]:
    return (1, e.address, e.id) if e.external else (0, 0, e.id)


def counts(changes: Iterable[ConnChange]) -> dict[str, int]:
    out = {ADDED: 0, REMOVED: 0, CHANGED: 0}
    for c in changes:
        out[c.kind] += 1
    return out
