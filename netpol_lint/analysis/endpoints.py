"""Endpoints: what NetworkPolicies select and what connections run between.

One endpoint stands for every pod of one pod template (a workload's pods share labels and
ports, so one representative is exact).  Pods of a cluster dump that a controller owns
(``ownerReferences`` with ``controller: true``, except mirror pods owned by a Node) become
one endpoint per owner, named after the owner with the owner's kind, the way netpol-analyzer (and so the conformance cases)
name them; their known addresses are pooled.

Sidecar-injected pods (RULES.md vocabulary) get ``security.istio.io/tlsMode: istio`` added
because Istio's injector adds it and the module's istiod policy selects on it -- unless the
network is plain Kubernetes (``--no-istio``, ``istio=False``): then no pod has a sidecar and
every pod carries exactly the labels of its manifest.

Ids are ``NAMESPACE/NAME``; when two endpoints share that (say a Deployment and a
StatefulSet of one name) both become ``NAMESPACE/Kind/NAME``.  ``resolve_endpoint_id``
accepts every spelling CONTRACT.md allows.  Addresses outside the cluster are ``ip:ADDR``
endpoints, created on demand.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..model.resources import CLUSTER_SCOPED, ContainerPort, Workload
from ..model.units import unit_of
from .ipblocks import range_text, to_int

TLS_MODE_LABEL = "security.istio.io/tlsMode"
INJECT_KEY = "sidecar.istio.io/inject"


@dataclass(eq=False)
class Endpoint:
    """A pod template (or an external address) as the engine sees it."""

    id: str
    namespace: str | None
    name: str
    kind: str
    labels: dict[str, str] = field(default_factory=dict)
    ports: tuple[ContainerPort, ...] = ()
    host_network: bool = False
    ips: tuple[str, ...] = ()
    synthetic: bool = False            # added by the engine (Istio components), not in the input
    external: bool = False             # an address outside the cluster (``ip:...``)
    sidecar: bool = False              # Istio sidecar injected (RULES.md vocabulary)
    workloads: tuple[Workload, ...] = ()   # the input objects it stands for
    index: int = -1                    # position in Network.endpoints (-1 for external)
    address: int = -1                  # external only: first address (ipblocks.to_int space)

    @property
    def workload(self) -> Workload | None:
        return self.workloads[0] if self.workloads else None

    @property
    def ref(self) -> str:
        """``Kind/ns/name`` as in lint messages."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else self.id

    @property
    def istio_component(self) -> bool:
        """The Istio module's own pods (istio-system / kyma-system module pods)."""
        if self.namespace == "istio-system":
            return True
        return self.namespace == "kyma-system" and self.labels.get("kyma-project.io/module") == "istio"

    def __repr__(self) -> str:
        return f"<Endpoint {self.id}>"


def external_endpoint(addr: str) -> Endpoint:
    """``ip:ADDR`` (ValueError for an invalid address)."""
    value = to_int(addr)
    return Endpoint(id=f"ip:{addr}", namespace=None, name=addr, kind="External", ips=(addr,), external=True,
                    address=value)


def apiserver_endpoint() -> Endpoint:
    """The API server as an address outside the pod network whose value the linter does not
    know: only a rule without peers, or an ipBlock of a whole address family without excepts,
    admits it (``CompiledRule.admits``)."""
    return Endpoint(id="apiserver", namespace=None, name="apiserver", kind="APIServer", external=True, address=-1)


def external_range(lo: int, hi: int) -> Endpoint:
    """An external address range (a netpol-analyzer style atom), named ``ip:LO-HI``."""
    text = range_text(lo, hi)
    return Endpoint(id=f"ip:{text}", namespace=None, name=text, kind="External", external=True, address=lo)


def is_sidecar_injected(namespace_labels: dict[str, str], labels: dict[str, str], annotations: dict[str, str]) -> bool:
    """RULES.md "Sidecar-injected pod"."""
    if labels.get(INJECT_KEY) == "false" or annotations.get(INJECT_KEY) == "false":
        return False
    if namespace_labels.get("istio-injection") == "enabled" or "istio.io/rev" in namespace_labels:
        return True
    return labels.get(INJECT_KEY) == "true" or annotations.get(INJECT_KEY) == "true"


def _tie_break(w: Workload) -> str:
    """Content-based order so the representative does not depend on document order."""
    try:
        return json.dumps(w.template, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(w.template)


def build_endpoints(workloads: Iterable[Workload], namespace_labels: Callable[[str], dict[str, str]], synthetic: Iterable[Workload] = (),
                    istio: bool = True) -> list[Endpoint]:
    """Endpoints for ``workloads`` (+ ``synthetic`` ones), sorted by namespace, name, kind.

    ``namespace_labels(ns)`` gives a namespace's labels (for sidecar detection); without
    ``istio`` (plain Kubernetes) nothing is injected: no sidecar, no added label.
    """
    groups: dict[tuple[str, str, str], list[Workload]] = {}
    synthetic_ids = {id(w) for w in synthetic}
    for w in list(workloads) + list(synthetic):
        ns = w.namespace or "default"
        ctl = w.controller if w.kind == "Pod" else None
        # Mirror (static) pods are "owned" by their Node: not replicas of anything.
        if ctl is not None and ctl[1] and ctl[0] not in CLUSTER_SCOPED:
            key = (ns, ctl[1], ctl[0] or "Pod")
        else:
            key = (ns, w.name, w.kind)
        groups.setdefault(key, []).append(w)

    endpoints: list[Endpoint] = []
    for (ns, name, kind), members in groups.items():
        # The owner's own template wins over its pods (of duplicates the last applied, as
        # in a cluster); else the pod with the smallest name, whatever the document order.
        own = [w for w in members if (w.namespace or "default", w.name, w.kind) == (ns, name, kind)]
        rep = own[-1] if own else min(members, key=lambda w: (w.name, _tie_break(w)))
        labels = dict(rep.pod_labels)
        sidecar = istio and is_sidecar_injected(namespace_labels(ns), labels, rep.pod_annotations)
        if sidecar:
            # the injector keeps a value the template sets (`... | default "istio"`)
            labels.setdefault(TLS_MODE_LABEL, "istio")
        ips = tuple(sorted({ip for w in members for ip in w.pod_ips}))
        ordered = tuple(sorted(members, key=lambda w: (w is not rep, w.kind, w.name)))
        endpoints.append(Endpoint(
            id=f"{ns}/{name}{_unit_suffix(ns)}", namespace=ns, name=name, kind=kind, labels=labels,
            ports=rep.container_ports, host_network=rep.host_network, ips=ips,
            synthetic=all(id(w) in synthetic_ids for w in members), sidecar=sidecar, workloads=ordered))

    endpoints.sort(key=lambda e: (e.namespace, e.name, e.kind))
    seen: dict[str, int] = {}
    for e in endpoints:
        seen[e.id] = seen.get(e.id, 0) + 1
    for i, e in enumerate(endpoints):
        if seen[e.id] > 1:
            e.id = f"{e.namespace}/{e.kind}/{e.name}{_unit_suffix(e.namespace)}"
        e.index = i
    return endpoints


def _unit_suffix(ns: str | None) -> str:
    """``@UNIT`` for an endpoint in the default namespace of a deployment unit other than
    the main one (model/units.py), so that ids stay unique: ``default/web@samples/a``."""
    unit = unit_of(ns)
    if not unit:
        return ""
    rel = os.path.relpath(unit)
    return "@" + (unit if rel.startswith("..") else rel).replace(os.sep, "/")


class EndpointLookup:
    """Resolves the endpoint spellings of CONTRACT.md to endpoints."""

    def __init__(self, endpoints: list[Endpoint], default_namespace: str = "default"):
        self.default_namespace = default_namespace
        self._by_key: dict[tuple[str | None, ...], list[Endpoint]] = {}
        self._by_id = {e.id: e for e in endpoints}
        for e in endpoints:
            self._by_key.setdefault((e.namespace, e.name), []).append(e)
            self._by_key.setdefault((e.namespace, e.kind.lower(), e.name), []).append(e)

    def find(self, text: str) -> list[Endpoint]:
        """Candidates for ``ns/name``, ``ns/kind/name``, ``kind/ns/name`` or a bare ``name``."""
        if text.strip() in self._by_id:       # the id as printed (``default/web@samples/a``)
            return [self._by_id[text.strip()]]
        parts = text.strip().split("/")
        if len(parts) == 1:
            return self._by_key.get((self.default_namespace, parts[0]), [])
        if len(parts) == 2:
            return self._by_key.get((parts[0], parts[1]), [])
        if len(parts) == 3:
            hits = self._by_key.get((parts[0], parts[1].lower(), parts[2]), [])
            return hits or self._by_key.get((parts[1], parts[0].lower(), parts[2]), [])
        return []
