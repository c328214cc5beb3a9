"""The blast radius of ``networkPoliciesEnabled: true``: what the flip changes, and who must act.

The Kyma page warns that flipping the flag restarts the gateways and enforces the module's
policies at once.  This module builds the input's network twice with the reachability engine
— module policies off, module policies on; the Istio components are present in both, as on
every Kyma cluster — and takes every connection whose port set differs (``conndiff``).  No
new semantics: the before/after port sets are the engine's, the routes the route tracer's.

Each changed connection is then sorted by what the user must do about it:

``routes``
    istio-ingressgateway → a route backend loses the route's target port: the pod template
    needs ``networking.kyma-project.io/from-ingressgateway: allowed``.
``egress-gateway``
    a workload that uses istio-egressgateway (its namespace has an egress route, or its pod
    template already carries the label key with a wrong value) loses it: it needs
    ``to-egressgateway: allowed``.
``scrapers``
    a metrics scraper (a workload matching the config's ``scrapers``, or carrying a metrics
    label key with a wrong value) loses the gateways' 15020/15021/15090 or istiod's 15014;
    plus Prometheus-operator CRs that NPL106 reports (their pods are created by the operator,
    so the engine has no endpoint for them: the rule's label reasoning stands in).
``sidecars``
    a sidecar-injected workload loses istiod's XDS port 15012.  The module admits 15012 from
    every pod labelled ``security.istio.io/tlsMode: istio``, which the injector adds, so this
    group stays empty unless the engine sees a sidecar without that label.
``other``
    everything else — mostly the Istio components' own ports that nobody in the input calls.
    Listed, but they do not count as breaking.

A connection lands in every group whose need it breaks (normally one), and in ``other``
only if it breaks none.  Lines name the file, line and column to change.

``already-broken``
    a needed connection — istio-ingressgateway to a route backend on its target port, a
    sidecar-injected workload to istiod on 15012 — that is denied with the module's policies
    off *and* on: the flip does not change it, so it is not among the changes, but the route
    (or the pod) is dead today.  Listed separately with its fix (the policy that isolates it
    must admit the peer; the label too, where the flip also needs it), so a dead route is never
    reported as "nothing breaks".
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, cast  # findings arrive from the rules layer as Any: analysis sits below it

from ..load.documents import Location
from ..model.resources import (
    FROM_INGRESSGATEWAY, ISTIO_METRICS, METRICS_SCRAPING, TO_EGRESSGATEWAY, Resource, Workload, get,
)
from .conndiff import ConnChange, compare
from .endpoints import TLS_MODE_LABEL, Endpoint
from .expectations import flag_flip_changes
from .istio_world import ISTIO_SYSTEM
from .portsets import EMPTY, PortSet
from .reachability import EndpointError, Network
from .routes import trace_routes
from .selectors import Selector, parse_selector

if TYPE_CHECKING:  # pragma: no cover
    from ..model.session import Session
    from ..model.expectations import Expectation
    from .expectations import Failure
    from .reachability import Verdict

# _Grouper's way to get (or open) the entry of a change in a group
Claim = Callable[[str, ConnChange], "ImpactEntry"]

ROUTES, EGRESS, SCRAPERS, SIDECARS, OTHER = "routes", "egress-gateway", "scrapers", "sidecars", "other"
ALREADY = "already-broken"

# (id, title, the label that fixes it)
GROUPS = (
    (ALREADY, "Needed connections already broken (denied before and after the flip)", None),
    (ROUTES, "Routes from istio-ingressgateway that break", FROM_INGRESSGATEWAY),
    (EGRESS, "Workloads that lose istio-egressgateway", TO_EGRESSGATEWAY),
    (SCRAPERS, "Scrapers that lose Istio metrics endpoints", METRICS_SCRAPING),
    (SIDECARS, "Sidecars that lose istiod", TLS_MODE_LABEL),
    (OTHER, "Other changes (nothing in the input is known to need these connections)", None),
)
GROUP_TITLES = {g: t for g, t, _ in GROUPS}

GATEWAY_METRICS = PortSet({"TCP": [(15020, 15021), (15090, 15090)]})
ISTIOD_METRICS = PortSet.of("TCP", 15014)
ISTIOD_XDS = PortSet.of("TCP", 15012)
ALL_METRICS = GATEWAY_METRICS | ISTIOD_METRICS


@dataclass(frozen=True)
class Fix:
    """One edit that repairs an entry: a label on a pod template (or a Prometheus CR)."""

    location: Location
    resource: dict[str, Any]       # apiVersion/kind/namespace/name, as in findings
    label: tuple[str, str] | None  # None: the edit is to a NetworkPolicy (``action`` says which)
    action: str

    def text(self) -> str:
        loc, r = self.location, self.resource
        name = f"{r.get('namespace')}/{r.get('name')}" if r.get("namespace") else str(r.get("name"))
        return f"{loc.file}:{loc.line}:{loc.column} {r.get('kind')} {name}: {self.action}"

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        return {"file": loc.file, "line": loc.line, "column": loc.column, "resource": dict(self.resource),
                "label": {self.label[0]: self.label[1]} if self.label else None, "action": self.action}


@dataclass
class ImpactEntry:
    """A changed connection (or, for Prometheus CRs, a scraper the engine cannot place) in one group."""

    group: str
    source: str
    target: str
    change: ConnChange | None
    breaks: PortSet = EMPTY                       # needed ports the flip takes away
    reasons: list[str] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    anchor: tuple[str, str] | None = None         # ("to"|"from", endpoint id) whose policies changed

    @property
    def breaking(self) -> bool:
        return bool(self.breaks)

    def sort_key(self) -> tuple[int, tuple[tuple[int, int, str], ...], str]:
        return (0, self.change.key, "") if self.change is not None else (1, (), self.source)

    def to_json(self) -> dict[str, Any]:
        c = self.change
        return {"from": self.source, "to": self.target,
                "before": c.before.to_text() if c else None, "after": c.after.to_text() if c else None,
                "breaks": self.breaks.to_text() if self.breaks else None,
                "reasons": list(self.reasons), "fixes": [f.to_json() for f in self.fixes],
                "connection": c.to_json() if c else None}


@dataclass
class ImpactReport:
    entries: list[ImpactEntry]
    istio_cr: Resource | None                     # the CR the module reconciles, if the input has one
    changes: list[ConnChange]
    # connectivity expectations the flip breaks or repairs: (expectation, failure with policies
    # off, failure with policies on), one of the two None (analysis/expectations.py)
    expectations: list[tuple[Expectation, Failure | None, Failure | None]] = field(default_factory=list)

    def group(self, gid: str) -> list[ImpactEntry]:
        return [e for e in self.entries if e.group == gid]

    @property
    def breaking(self) -> list[ImpactEntry]:
        """What the flip breaks (already-broken connections are not among them)."""
        return [e for e in self.entries if e.breaking and e.group != ALREADY]

    @property
    def already_broken(self) -> list[ImpactEntry]:
        return self.group(ALREADY)

    @property
    def breaks(self) -> bool:
        """Something needed is dead once policies are on: broken by the flip, or already."""
        return any(e.breaking for e in self.entries)


# -- analysis ------------------------------------------------------------------------------
def analyse(session: Session, *, prometheus_findings: Iterable[Any] = (), ipblock_pods: str | None = None,
            host_network_enforced: bool = False) -> ImpactReport:
    """Compare the session's network with the module's policies off and on, and group the changes.

    ``prometheus_findings``: NPL106 findings (only those on Prometheus CRs are used).
    """
    kyma = session.kyma
    off = Network.build(session, kyma=dataclasses.replace(kyma, policies_enabled=False),
                        ipblock_pods=ipblock_pods, host_network_enforced=host_network_enforced)
    on = Network.build(session, kyma=dataclasses.replace(kyma, policies_enabled=True),
                       ipblock_pods=ipblock_pods, host_network_enforced=host_network_enforced)
    changes = compare(off, on)
    by_pair = {(c.src.id, c.dst.id): c for c in changes}
    grouper = _Grouper(session, off, on)
    claimed: dict[tuple[str, str, str], ImpactEntry] = {}

    def claim(group: str, c: ConnChange) -> ImpactEntry:
        key = (group, c.src.id, c.dst.id)
        if key not in claimed:
            claimed[key] = ImpactEntry(group, c.src.id, c.dst.id, c)
        return claimed[key]

    grouper.routes(by_pair, claim)
    for c in changes:
        grouper.egress_gateway(c, claim)
        grouper.scrapers(c, claim)
        grouper.sidecars(c, claim)
    entries = list(claimed.values())
    taken = {(e.source, e.target) for e in entries}
    for c in changes:
        if (c.src.id, c.dst.id) not in taken:
            entries.append(ImpactEntry(OTHER, c.src.id, c.dst.id, c, anchor=grouper.anchor(c)))
    entries.extend(_prometheus_entries(prometheus_findings))
    entries.extend(grouper.already_broken())
    order = {g: i for i, (g, _, _) in enumerate(GROUPS)}
    entries.sort(key=lambda e: (order[e.group], e.sort_key()))
    return ImpactReport(entries, kyma.istio_cr, changes, flag_flip_changes(session, off, on))


class _Grouper:
    """Knows the Istio components, the routes and the scrapers; decides each change's group."""

    def __init__(self, session: Session, off: Network, on: Network) -> None:
        self.session = session
        self.off, self.on = off, on
        self.on_by_id = {e.id: e for e in on.endpoints}
        self.off_by_id = {e.id: e for e in off.endpoints}
        self.table = trace_routes(session)
        self.ingress = self._component("ingressgateway")
        self.egress = self._component("egressgateway")
        self.istiod = self._component("pilot")
        self.scraper_selectors: list[tuple[str | None, Selector]] = []
        for s in session.config.scrapers:
            if isinstance(s, dict):
                self.scraper_selectors.append((s.get("namespace"), parse_selector({"matchLabels": s.get("matchLabels") or {}})))

    def _component(self, istio_label: str) -> set[str]:
        return {e.id for e in self.on.endpoints
                if e.namespace == ISTIO_SYSTEM and e.labels.get("istio") == istio_label and not e.external}

    # -- groups -----------------------------------------------------------------------
    def routes(self, by_pair: dict[tuple[str, str], ConnChange], claim: Claim) -> None:
        for route in self.table.ingress_routes():
            for b in route.backends:
                if b.target_port is None:
                    continue                  # the route cannot work with or without policies
                try:
                    ep = self.on.endpoint(b.workload)
                except EndpointError:
                    continue
                port = PortSet.of("TCP", b.target_port)
                for gw in sorted(self.ingress):
                    c = by_pair.get((gw, ep.id))
                    if c is None or not (c.before & port) or (c.after & port):
                        continue
                    e = claim(ROUTES, c)
                    e.breaks = e.breaks | port
                    reason = f"{route.describe()} (container port TCP {b.target_port})"
                    if reason not in e.reasons:
                        e.reasons.append(reason)
                    _add_fix(e, label_fix(b.workload, FROM_INGRESSGATEWAY))

    def egress_gateway(self, c: ConnChange, claim: Claim) -> None:
        if c.dst.id not in self.egress or not self._input_workload(c.src):
            return
        lost = c.lost
        if not lost:
            return
        routes = self.table.egress_routes_for(cast(str, c.src.namespace))    # an input workload: namespaced
        intends = [w for w in c.src.workloads if _label_key_present(w, TO_EGRESSGATEWAY)]
        if not routes and not intends:
            return
        e = claim(EGRESS, c)
        e.breaks = e.breaks | lost
        for r in routes:
            e.reasons.append(f"{r.name} sends the outbound traffic of namespace {c.src.namespace} through "
                             f"{r.describe_gateway()}")
        for w in intends:
            e.reasons.append(f"{w.kind} {w.ns_name} carries the {TO_EGRESSGATEWAY} key, but not on its "
                             f"{w.pod_template_text} with the value allowed")
        for w in c.src.workloads:
            _add_fix(e, label_fix(w, TO_EGRESSGATEWAY))

    def scrapers(self, c: ConnChange, claim: Claim) -> None:
        if not self._input_workload(c.src):
            return
        if c.dst.id in self.istiod:
            needed = ISTIOD_METRICS
        elif c.dst.id in self.ingress or c.dst.id in self.egress:
            needed = GATEWAY_METRICS
        else:
            return
        lost = c.lost & needed
        if not lost:
            return
        why = []
        for w in c.src.workloads:
            if any((ns is None or ns == w.namespace) and sel.matches(w.pod_labels) for ns, sel in self.scraper_selectors):
                why.append(f"{w.kind} {w.ns_name} matches a configured scraper selector")
            elif any(_label_key_present(w, k) for k in (ISTIO_METRICS, METRICS_SCRAPING)):
                why.append(f"{w.kind} {w.ns_name} carries a metrics label key, but not on its "
                           f"{w.pod_template_text} with the value allowed")
        if not why:
            return
        e = claim(SCRAPERS, c)
        e.breaks = e.breaks | lost
        e.reasons.extend(r for r in why if r not in e.reasons)
        for w in c.src.workloads:
            _add_fix(e, label_fix(w, METRICS_SCRAPING))

    def sidecars(self, c: ConnChange, claim: Claim) -> None:
        if c.dst.id not in self.istiod or not self._input_workload(c.src) or not c.src.sidecar:
            return
        lost = c.lost & ISTIOD_XDS
        if not lost:
            return
        e = claim(SIDECARS, c)
        e.breaks = e.breaks | lost
        e.reasons.append(f"{c.src.id} runs an Istio sidecar, which fetches its configuration from istiod on TCP 15012")
        for w in c.src.workloads:
            _add_fix(e, label_fix(w, TLS_MODE_LABEL, "istio"))

    def already_broken(self) -> list[ImpactEntry]:
        """Needed connections denied in both states (ALREADY): route backends, sidecars' XDS."""
        out: dict[tuple[str, str], ImpactEntry] = {}
        gateways = sorted(self.ingress)
        for route in self.table.ingress_routes():
            for b in route.backends:
                if b.target_port is None:
                    continue
                try:
                    ep = self.off.endpoint(b.workload)
                except EndpointError:
                    continue
                if ep.host_network:
                    continue
                for gw in gateways:
                    before = self.off.allowed(gw, ep, b.target_port, "TCP")
                    if before.allowed or self.on.allowed(gw, ep.id, b.target_port, "TCP").allowed:
                        continue
                    e = out.get((gw, ep.id))
                    if e is None:
                        e = out[(gw, ep.id)] = ImpactEntry(ALREADY, gw, ep.id, None)
                    e.breaks = e.breaks | PortSet.of("TCP", b.target_port)
                    reason = f"{route.describe()} (container port TCP {b.target_port}): {_denial(before)}"
                    if reason not in e.reasons:
                        e.reasons.append(reason)
                    _policy_fix(e, before, f"admit istio-ingressgateway (namespace istio-system, pods istio: "
                                           f"ingressgateway) on TCP {b.target_port}")
                    if b.workload.pod_labels.get(FROM_INGRESSGATEWAY) != "allowed":
                        _add_fix(e, label_fix(b.workload, FROM_INGRESSGATEWAY))
        for ep in self.off.endpoints:
            if not ep.sidecar or not self._input_workload(ep):
                continue
            for target in sorted(self.istiod):
                before = self.off.allowed(ep, target, 15012, "TCP")
                if before.allowed or self.on.allowed(ep.id, target, 15012, "TCP").allowed:
                    continue
                e = out.setdefault((ep.id, target), ImpactEntry(ALREADY, ep.id, target, None))
                e.breaks = ISTIOD_XDS
                e.reasons.append(f"{ep.id} runs an Istio sidecar, which fetches its configuration from istiod on "
                                 f"TCP 15012: {_denial(before)}")
                _policy_fix(e, before, "admit istiod (namespace istio-system, pods istio: pilot) on TCP 15012")
        return sorted(out.values(), key=lambda e: (e.source, e.target))

    # -- helpers ----------------------------------------------------------------------
    @staticmethod
    def _input_workload(ep: Endpoint) -> bool:
        return not ep.external and not ep.synthetic and bool(ep.workloads)

    def anchor(self, c: ConnChange) -> tuple[str, str]:
        """Which end's policies changed: the destination's ingress side, else the source's egress."""
        if self._isolation_changed(c.dst.id, "Ingress"):
            return ("to", c.dst.id)
        return ("from", c.src.id)

    def _isolation_changed(self, eid: str, direction: str) -> bool:
        a, b = self.off_by_id.get(eid), self.on_by_id.get(eid)
        if a is None or b is None or a.external:
            return False
        return [p.key for p in self.off.isolating(a, direction)] != [p.key for p in self.on.isolating(b, direction)]


def _label_key_present(w: Workload, key: str) -> bool:
    """The key is on the pod template (any value) or on the controller's own labels: intent shown."""
    raw = get(w.template, "metadata", "labels")
    return (isinstance(raw, dict) and key in raw) or key in w.labels


def label_fix(w: Workload, key: str, value: str = "allowed") -> Fix:
    """The edit that puts ``key: value`` on ``w``'s pod template, worded for its current labels."""
    raw = get(w.template, "metadata", "labels")
    where = w.pod_labels_text
    if isinstance(raw, dict) and key in raw:
        action = f"set {key}: {value} in {where} (now {raw[key]!r})"
    elif w.template_path and key in w.labels:
        action = f"copy {key}: {value} from metadata.labels into {where}"
    else:
        action = f"add {key}: {value} to {where}"
    return Fix(w.labels_location(), w.identity(), (key, value), action)


def _denial(verdict: Verdict) -> str:
    """Which side denies, in one line (the engine's summary)."""
    side = verdict.egress if not verdict.egress.allowed else verdict.ingress
    return f"{side.direction.lower()} denied, {side.summary}"


def _policy_fix(entry: ImpactEntry, verdict: Verdict, what: str) -> None:
    """The policy edit: on the side that denies, where the first isolating policy of the input selects."""
    side = verdict.egress if not verdict.egress.allowed else verdict.ingress
    policies = [p for p in side.policies if not p.file.startswith("<")]
    if not policies:
        return
    p = policies[0]
    verb = "egress" if side.direction == "Egress" else "ingress"
    where = f"{side.subject.id}'s {verb}"
    _add_fix(entry, Fix(p.locate("spec", "podSelector"), p.identity(), None,
                        f"{what} for {where}: add a NetworkPolicy in namespace {p.namespace} "
                        f"(or a rule to one of {', '.join(x.ns_name for x in policies)})"))


def _add_fix(entry: ImpactEntry, fix: Fix) -> None:
    if all((f.location, f.label) != (fix.location, fix.label) for f in entry.fixes):
        entry.fixes.append(fix)


def _prometheus_entries(findings: Iterable[Any]) -> list[ImpactEntry]:
    """Prometheus-operator CRs that NPL106 reports: scrapers whose pods the engine cannot see."""
    out = []
    for f in sorted(findings, key=lambda f: f.sort_key()):
        r = f.resource or {}
        if r.get("kind") != "Prometheus":
            continue
        name = f"{r.get('namespace')}/{r.get('name')}" if r.get("namespace") else str(r.get("name"))
        entry = ImpactEntry(SCRAPERS, f"Prometheus {name}", "istio-system metrics endpoints", None, ALL_METRICS,
                            [f.message])
        entry.fixes.append(Fix(f.location, dict(r), (METRICS_SCRAPING, "allowed"),
                               f"add {METRICS_SCRAPING}: allowed to spec.podMetadata.labels"))
        out.append(entry)
    return out
