"""The model: every resource of the input, typed, with the indexes cross-resource rules need.

Built once per run from the loaded files; rules and the analysis only read it.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from ..load.documents import Document
from ..load.loader import SourceFile
from .platform import DEFAULT_PLATFORM, namespace_labels as platform_namespace_labels
from .patching import patched
from .units import MAIN, Placement, UnitNamespace, tree_distance, unit_namespace
from .resources import (
    NAMESPACE_NAME_LABEL, APIRule, Function, FunctionService, Gateway, IstioCR, Namespace, NetworkPolicy,
    Resource, Service, VirtualService, Workload, resource_class, str_map, unrecognised_version,
)

# Kinds a kustomization's namePrefix/nameSuffix leaves alone.
_NOT_RENAMED = frozenset({"Namespace", "CustomResourceDefinition"})

# Namespaces every Kyma cluster has, whether or not the input defines them.
SYSTEM_NAMESPACES = ("istio-system", "kyma-system", "kube-system")


@dataclass
class Model:
    default_namespace: str = "default"
    resources: list[Resource] = field(default_factory=list)
    non_kubernetes_documents: int = 0
    skipped_documents: list = field(default_factory=list)   # (file, document number, why): for -v
    documents: int = 0
    files: int = 0
    configured_namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    platform: str = DEFAULT_PLATFORM      # RULES.md "The platform": its namespaces' labels

    placement: Placement = field(default_factory=Placement)
    _unit: str = MAIN
    _transform: object = None
    _edits: tuple = ()                    # the current file's kustomization patches (model/patching.py)

    def __post_init__(self):
        self.by_kind: dict[str, list[Resource]] = defaultdict(list)
        self.workloads: list[Workload] = []
        self.workloads_by_ns: dict[str, list[Workload]] = defaultdict(list)
        self.services: list[Service] = []
        self.services_by_ns: dict[str, dict[str, Service]] = defaultdict(dict)
        self.network_policies: list[NetworkPolicy] = []
        self.policies_by_ns: dict[str, list[NetworkPolicy]] = defaultdict(list)
        self.namespace_objects: dict[str, Namespace] = {}
        self.istio_crs: list[IstioCR] = []
        self.apirules: list[APIRule] = []
        self.gateways: list[Gateway] = []
        self.virtual_services: list[VirtualService] = []
        # route sources (APIRule, VirtualService, Gateway) of an apiVersion the linter does not
        # read: not traced, and named in the summary (RULES.md: never skipped silently)
        self.unrecognised: list[Resource] = []
        # labels/annotations mappings a kustomization patch changed: (file, document index,
        # path in the document) -> (keys changed, patch files); see model/patching.py
        self.patched_labels: dict[tuple, tuple[frozenset, tuple]] = {}
        self._pairs_by_ns: dict[str, tuple] = {}    # workloads_selected's index
        self._service_twins: dict[tuple, list[Service]] = {}
        self._services_of_defaults: dict | None = None
        self._known_namespaces: tuple | None = None   # known_namespaces' result, with its key

    # -- building ---------------------------------------------------------------------
    @classmethod
    def build(cls, files: Iterable[SourceFile], default_namespace: str = "default",
              configured_namespaces: dict | None = None, placement: Placement | None = None,
              platform: str = DEFAULT_PLATFORM, reuse: dict | None = None) -> "Model":
        """The model of ``files``; ``placement`` (model/units.py) puts each file's resources
        into its deployment unit and applies its kustomization's namespace and name
        prefix/suffix, and its patches' label/annotation changes (model/patching.py; None: one
        unit, no kustomization read).

        ``reuse`` (the language server's, lsp/state.py) maps the files of the previous build
        to their resources: a file seen then, placed the same way, contributes the same
        resource objects, with what they computed about themselves (labels, pod templates,
        NPL003's validation: ~40% of a run over parsed files).  A resource's cached values
        depend on its own document and placement only; everything that relates resources
        (indexes, the network, routes) is built anew.  The dict is updated to this build."""
        m = cls(default_namespace=default_namespace, configured_namespaces=dict(configured_namespaces or {}),
                platform=platform)
        m.placement = placement or Placement()
        kept: dict[int, tuple] = {}
        for f in files:
            m.files += 1
            if f.skipped:                      # (a kustomization patch keeps its documents)
                continue
            unit = m.placement.unit(f.path)
            transform = m.placement.transforms.get(f.path)
            edits = m.placement.edits.get(f.path, ())
            if reuse is not None:
                hit = reuse.get(id(f))
                if hit is not None and hit[0] is f and hit[1] == (unit, transform, default_namespace, edits):
                    for r in hit[2]:
                        m.add(r)
                    m.documents += len(f.documents)
                    m.non_kubernetes_documents += len(hit[3])
                    m.skipped_documents += hit[3]
                    m.patched_labels.update(hit[4])
                    kept[id(f)] = hit
                    continue
            first, skipped, patched_before = len(m.resources), len(m.skipped_documents), len(m.patched_labels)
            m._edits = edits
            for doc in f.documents:
                m.documents += 1
                m._add_document(doc, unit, transform)
            m._edits = ()
            if reuse is not None:
                kept[id(f)] = (f, (unit, transform, default_namespace, edits), m.resources[first:],
                               m.skipped_documents[skipped:],
                               dict(list(m.patched_labels.items())[patched_before:]) if edits else {})
        if reuse is not None:
            reuse.clear()
            reuse.update(kept)
        return m

    def _add_document(self, doc: Document, unit: str = MAIN, transform=None) -> None:
        head = doc.head                   # a packed document is identified without unpacking
        if not _is_kubernetes(head):
            self.non_kubernetes_documents += 1
            self.skipped_documents.append((doc.path, doc.index + 1, _why_not_kubernetes(head)))
            return
        self._unit, self._transform = unit, transform
        self._add_object(doc, (), head, 0)

    def _add_object(self, doc: Document, base: tuple, data: dict, depth: int) -> None:
        """Add one object; ``kind: List`` / ``*List`` items are expanded (nested lists too)."""
        kind = data["kind"]
        if kind.endswith("List") and isinstance(data.get("items"), list):
            if depth < 8:
                implied = _implied_item_type(data)
                for i, item in enumerate(data["items"]):
                    if implied and isinstance(item, dict) and "kind" not in item and "apiVersion" not in item:
                        # typed lists from the raw API (PodList, ...) omit the items' kind
                        item = {"apiVersion": implied[0], "kind": implied[1], **item}
                    if _is_kubernetes(item):
                        self._add_object(doc, base + ("items", i), item, depth + 1)
            return
        if self._edits:
            if data.__class__ is not dict and not base:
                data = doc.data           # a packed document's Head: the patch needs the object
            data, changed = patched(data, self._edits)
            for path, keys_sources in changed.items():
                self.patched_labels[(doc.path, doc.index, base + path)] = keys_sources
        r = resource_class(data["apiVersion"], kind)(doc, base, data, self.default_namespace)
        if self._unit != MAIN or self._transform is not None:
            self._place(r)
        self.add(r)

    def _place(self, r: Resource) -> None:
        """Apply the file's kustomization (namespace, name prefix/suffix) and unit."""
        t = self._transform
        if r.namespace is not None:
            if t is not None and t.namespace:
                r.namespace = t.namespace
                if r.__class__ is IstioCR:
                    r.implied_namespace = False
            # (the Istio CR is the cluster's, in its kyma-system: never a unit's own namespace)
            if r.namespace == self.default_namespace and r.__class__ is not IstioCR:
                r.namespace = unit_namespace(self.default_namespace, self._unit)
        if t is not None and (t.prefix or t.suffix) and r.named and r.kind not in _NOT_RENAMED:
            r.name = f"{t.prefix}{r.name}{t.suffix}"

    def add(self, r: Resource) -> None:
        self.resources.append(r)
        self.by_kind[r.kind].append(r)
        if isinstance(r, Workload):
            self.workloads.append(r)
            self.workloads_by_ns[r.namespace].append(r)
            if r.__class__ is Function:
                self._add_service(r.service)
        elif isinstance(r, NetworkPolicy):
            self.network_policies.append(r)
            self.policies_by_ns[r.namespace].append(r)
        elif isinstance(r, Service):
            self._add_service(r)
        elif isinstance(r, Namespace):
            self.namespace_objects.setdefault(r.name, r)
        elif isinstance(r, IstioCR):
            self.istio_crs.append(r)
        elif isinstance(r, APIRule):
            self.apirules.append(r)
        elif isinstance(r, Gateway):
            self.gateways.append(r)
        elif isinstance(r, VirtualService):
            self.virtual_services.append(r)
        elif unrecognised_version(r):
            self.unrecognised.append(r)

    def _add_service(self, svc: Service) -> None:
        """Index a Service; of several of one name the first counts, except that a Function's
        Service (``FunctionService``, not a document: ``resources`` does not list it) wins over
        a manifest's: the serverless controller resets ports and selector of that name."""
        self.services.append(svc)
        by_name = self.services_by_ns[svc.namespace]
        if svc.__class__ is FunctionService:
            if by_name.get(svc.name).__class__ is not FunctionService:
                by_name[svc.name] = svc
        else:
            seen = by_name.setdefault(svc.name, svc)
            if seen is not svc and seen.__class__ is not FunctionService:
                # a twin (NPL004): kept for nearest-definition lookups (``service_definitions``)
                self._service_twins.setdefault((svc.namespace, svc.name), [seen]).append(svc)

    # -- lookups ----------------------------------------------------------------------
    def find(self, kind: str, namespace: str | None, name: str, group: str | None = None) -> Resource | None:
        for r in self.by_kind.get(kind, ()):
            if r.namespace == namespace and r.name == name and (group is None or r.group == group):
                return r
        return None

    def duplicates(self) -> list[list[Resource]]:
        """Groups of resources that share group/kind/namespace/name (NPL004)."""
        # built when asked (once, by NPL004) rather than kept: an identity index over every
        # resource cost ~3% of a large run's peak memory
        groups: dict[tuple, Resource | list[Resource]] = {}
        unit = self.placement.unit
        for r in self.resources:
            # within one deployment unit (RULES.md NPL004); a unit's own default namespace
            # differs from every other already, shared namespaces need the unit too
            ident = (unit(r.file), r.group, r.kind, r.namespace, r.name)
            seen = groups.setdefault(ident, r)
            if seen is not r:
                if seen.__class__ is list:
                    seen.append(r)
                else:
                    groups[ident] = [seen, r]
        # a resource without metadata.name (generateName: distinct names on creation) is no twin
        return [rs for rs in groups.values() if rs.__class__ is list and rs[0].named]

    def service(self, namespace: str, name: str, near: Resource | None = None) -> Service | None:
        """Service ``namespace/name``; defined several times (NPL004), the definition nearest
        in the directory tree to ``near`` (the referring resource), else the first."""
        found = self.service_definitions(namespace, name, near)
        return found[0] if found else None

    def service_definitions(self, namespace: str, name: str, near: Resource | None = None) -> list[Service]:
        """The definitions of Service ``namespace/name`` a reference from ``near`` means:
        the nearest in the directory tree among its twins (NPL004; ties: all of them).

        A reference from a unit whose default namespace holds no Service at all (a directory
        of routes only, such as ``istio-manifests/`` beside ``kubernetes-manifests/``) means
        the nearest definition in any unit's default namespace (docs/accuracy.md,
        "Deployment units")."""
        first = self.services_by_ns.get(namespace, {}).get(name)
        if first is None:
            if (near is None or not isinstance(namespace, str) or not str.__eq__(namespace, self.default_namespace)
                    or self.services_by_ns.get(namespace)):
                return []
            candidates = self._default_services().get((str.__str__(namespace), name), [])
        elif near is None or (namespace, name) not in self._service_twins:
            return [first]
        else:
            candidates = self._service_twins[(namespace, name)]
        if not candidates:
            return []
        distance = {id(s): tree_distance(s.file, near.file) for s in candidates}
        best = min(distance.values())
        return [s for s in candidates if distance[id(s)] == best]

    def _default_services(self) -> dict[tuple, list[Service]]:
        """Services of every unit's default namespace by (namespace name, name), built once."""
        if self._services_of_defaults is None:
            out: dict[tuple, list[Service]] = {}
            for s in self.services:
                if s.namespace == self.default_namespace or isinstance(s.namespace, UnitNamespace):
                    out.setdefault((str.__str__(s.namespace), s.name), []).append(s)
            self._services_of_defaults = out
        return self._services_of_defaults

    def in_unit(self, namespace: str | None, referrer: Resource) -> str | None:
        """A namespace that ``referrer`` names (``svc.default.svc.cluster.local``,
        ``default/gateway``): the default namespace means the one of ``referrer``'s unit."""
        if namespace.__class__ is str and namespace == self.default_namespace:
            unit = self.placement.unit(referrer.file)
            if unit != MAIN:
                return unit_namespace(namespace, unit)
        return namespace

    @property
    def used_namespaces(self) -> set[str]:
        """Namespaces that resources of the input live in."""
        return {r.namespace for r in self.resources if r.namespace}

    def namespace_labels(self, name: str) -> dict[str, str]:
        """Labels of a namespace: manifest, else the platform's (istio-system, kyma-system,
        kube-system as the module, lifecycle-manager and Gardener create them) with config's
        on top; always with the automatic name label."""
        obj = self.namespace_objects.get(name)
        if obj is not None:
            labels = dict(obj.labels)
        else:
            labels = dict(platform_namespace_labels(self.platform).get(name) or ())
            labels.update(str_map(self.configured_namespaces.get(name)))
        labels[NAMESPACE_NAME_LABEL] = name
        return labels

    def known_namespaces(self) -> dict[str, dict[str, str]]:
        """Every namespace the linter knows of, with its labels (RULES.md NPL204 list).

        Computed once while the model does not change (the analysis and five rules ask: seven
        scans of every resource and labels for every namespace, ~0.06 s on the 50k-document
        benchmark); each caller gets its own copy, so none sees another's changes."""
        key = (len(self.resources), len(self.namespace_objects), len(self.configured_namespaces))
        if self._known_namespaces is None or self._known_namespaces[0] != key:
            names = (set(self.namespace_objects) | self.used_namespaces | set(self.configured_namespaces)
                     | set(SYSTEM_NAMESPACES))
            self._known_namespaces = (key, {n: self.namespace_labels(n) for n in sorted(names)})
        return {n: dict(labels) for n, labels in self._known_namespaces[1].items()}

    def workloads_selected(self, namespace: str, selector: dict[str, str]) -> list[Workload]:
        """Workloads of ``namespace`` whose pod labels include every ``selector`` pair.

        Candidates come from a per-namespace index of label pairs (built on first use), so
        a namespace with thousands of workloads is not scanned once per Service or route.
        """
        items = selector.items()
        everyone = self.workloads_by_ns.get(namespace, ())
        if not items or len(everyone) < 16:
            return [w for w in everyone if all(w.pod_labels.get(k) == v for k, v in items)]
        index = self._pairs_by_ns.get(namespace)
        if index is None or index[0] != len(everyone):
            pairs: dict[tuple, list[Workload]] = {}
            for w in everyone:
                for pair in w.pod_labels.items():
                    pairs.setdefault(pair, []).append(w)
            index = self._pairs_by_ns[namespace] = (len(everyone), pairs)
        try:
            fewest = min((index[1].get(pair, ()) for pair in items), key=len)
        except TypeError:                      # an unhashable value matches no label anyway
            fewest = everyone
        return [w for w in fewest if all(w.pod_labels.get(k) == v for k, v in items)]


def _implied_item_type(data: dict) -> tuple[str, str] | None:
    """(apiVersion, kind) that a typed list (``PodList``) implies for its items."""
    kind, api = data["kind"], data["apiVersion"]
    if kind == "List" or not kind.endswith("List"):
        return None
    return api, kind[:-4]


def _why_not_kubernetes(data) -> str:
    if data is None:
        return "an empty document"
    if not isinstance(data, dict):
        return f"not a Kubernetes object (a {type(data).__name__}, not a mapping)"
    missing = [k for k in ("apiVersion", "kind") if not (isinstance(data.get(k), str) and data[k])]
    return f"not a Kubernetes object (no {' and no '.join(missing)})"


def _is_kubernetes(data) -> bool:
    return (isinstance(data, dict) and isinstance(data.get("apiVersion"), str) and data["apiVersion"]
            and isinstance(data.get("kind"), str) and data["kind"])
