"""Typed, read-only views over Kubernetes documents.

A ``Resource`` wraps one object (a document, or an item of a ``List``) and knows where it came
from, so every rule can point at the exact node it talks about.  Subclasses add accessors for
the fields that network-policy analysis reads; they never raise on wrong types (NPL003 reports
those) but fall back to "absent".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from ..load.documents import Document, Head, Location

# Kinds whose objects live in no namespace (a namespace given for them is ignored).
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "StorageClass",
    "CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "PriorityClass", "IngressClass", "APIService", "CSIDriver", "RuntimeClass", "PodSecurityPolicy",
    "ClusterIssuer", "GatewayClass", "ClusterPolicy", "ModuleTemplate",
})

# Pod template location per workload kind (RULES.md "Pod template").
POD_TEMPLATE_PATHS: dict[str, tuple] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "Pod": (),
}

NETWORKING_LABELS = (
    "networking.kyma-project.io/from-ingressgateway",
    "networking.kyma-project.io/to-egressgateway",
    "networking.kyma-project.io/istio-metrics",
    "networking.kyma-project.io/metrics-scraping",
)
FROM_INGRESSGATEWAY, TO_EGRESSGATEWAY, ISTIO_METRICS, METRICS_SCRAPING = NETWORKING_LABELS
NETWORKING_PREFIX = "networking.kyma-project.io/"
MANAGED_LABELS = {"kyma-project.io/module": "istio", "kyma-project.io/managed-by": "kyma"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


def has_managed_labels(labels: Any) -> bool:
    """Both managed labels with their exact values (RULES.md vocabulary)."""
    return isinstance(labels, dict) and all(labels.get(k) == v for k, v in MANAGED_LABELS.items())


class _Lazy:
    """A value computed on first read and then kept in a slot of the same name.

    Resources compute a handful of these each (labels, pod template, ports ...) and a large
    input has a hundred thousand resources: ``functools.cached_property`` keeps them in a
    per-instance ``__dict__`` (~400 bytes a resource), a slot costs 8 bytes, and reading a
    filled slot is as fast as reading any attribute.  ``_LazySlots`` turns each ``@lazy``
    method ``x`` into a slot ``x`` plus ``_compute_x``; ``Resource.__getattr__`` (called only
    while the slot is empty) fills it.
    """

    def __init__(self, func):
        self.func = func


if TYPE_CHECKING:
    # what a reader of the attribute sees is exactly functools.cached_property's value
    from functools import cached_property as lazy
else:
    lazy = _Lazy


class _LazySlots(type):
    def __new__(mcls, name, bases, ns):
        lazies = {k: v.func for k, v in ns.items() if isinstance(v, _Lazy)}
        for k, func in lazies.items():
            del ns[k]
            ns["_compute_" + k] = func
        ns["__slots__"] = tuple(ns.get("__slots__", ())) + tuple(lazies)
        return super().__new__(mcls, name, bases, ns)


class _EmptyMapping(dict):
    """The one empty mapping the accessors return for an absent or malformed field (a new
    ``{}`` per resource and field cost ~10% of a large run's memory).  Read-only, like
    everything the accessors return: changing it raises instead of corrupting others."""

    __slots__ = ()

    def _read_only(self, *args, **kwargs):
        raise TypeError("read-only empty mapping (copy it before changing)")

    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = __ior__ = _read_only


EMPTY: dict = _EmptyMapping()


def get(data: Any, *path, default=None) -> Any:
    """``data[p0][p1]...`` or ``default`` when a step is missing or of the wrong type."""
    cur = data
    for step in path:
        if isinstance(step, int):
            if not isinstance(cur, list) or not -len(cur) <= step < len(cur):
                return default
        elif not isinstance(cur, dict) or step not in cur:
            return default
        cur = cur[step]
    return cur


def str_map(value: Any) -> dict[str, str]:
    """A labels/annotations mapping with only its string-keyed, scalar-valued entries.

    Read-only for callers: a mapping that is already all strings is returned as it is (on
    large inputs, copying every resource's labels cost tens of MB); copy before changing.
    """
    if not isinstance(value, dict):
        return EMPTY
    for k, v in value.items():
        if type(k) is not str or type(v) is not str:
            break
    else:
        return value
    return {k: _label_str(v) for k, v in value.items() if isinstance(k, str) and not isinstance(v, (dict, list))}


def _label_str(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return ""
    return str(v)


@dataclass(frozen=True)
class ContainerPort:
    name: str | None
    port: int
    protocol: str = "TCP"


UNNAMED = "(unnamed)"


def display_name(meta: Any) -> str:
    """How a resource without ``metadata.name`` is named in every output (docs/output.md,
    "Resource names"): ``PREFIX*`` for ``metadata.generateName: PREFIX`` -- the API server
    appends a random suffix on ``kubectl create`` (``kubectl apply`` refuses generateName) --
    else ``(unnamed)``.  Neither can be a real name (``*``, ``(`` are not allowed in names),
    so two such resources never read as one object (NPL004 skips them: ``Resource.named``)."""
    gen = meta.get("generateName") if isinstance(meta, dict) else None
    if isinstance(gen, str) and gen:
        return gen + "*"
    return UNNAMED


class Resource(metaclass=_LazySlots):
    """One Kubernetes object, with its identity and a way to locate any of its nodes.

    ``@lazy`` accessors (``labels``, ``pod_labels`` ...) are computed on first read and kept;
    ``__dict__`` stays available for anything a plugin wants to attach.
    """

    __slots__ = ("doc", "base", "_data", "api_version", "kind", "name", "namespace", "_identity",
                 "_validation", "__dict__")

    def __init__(self, doc: Document, base: tuple, data: dict, default_namespace: str):
        self.doc = doc
        self.base = base                  # path of this object inside the document
        # identity() and validate.problems' caches, set here: an empty slot costs a raised
        # AttributeError (via __getattr__) on every first look, ~2 us each: 0.08 s over the
        # 50k-document benchmark's 24,586 validated resources and 14,869 NPL004 findings
        self._identity: dict | None = None
        self._validation = None
        self._data = data                 # the object, or a packed document's Head
        self.api_version = str(data.get("apiVersion", ""))
        self.kind = str(data.get("kind", ""))
        meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else EMPTY
        name = meta.get("name")
        if isinstance(name, (str, int)) and name != "":
            self.name = str(name)
        else:
            self.name = display_name(meta)
        ns = meta.get("namespace")
        if self.kind in CLUSTER_SCOPED:
            self.namespace = None
        else:
            self.namespace = str(ns) if isinstance(ns, str) and ns else default_namespace

    @property
    def named(self) -> bool:
        """False when ``metadata.name`` is missing: ``name`` is then ``display_name``'s."""
        name = get(self._data, "metadata", "name")
        return isinstance(name, (str, int)) and name != ""

    @property
    def data(self) -> dict:
        """The object's data (a packed document is unpacked on first use: Document.pack).

        Read-only, like all data of a run: equal parts of documents are one shared object
        (load/share.py), so a change would show up elsewhere too.  Copy before changing."""
        data = self._data
        if data.__class__ is Head:
            data = self._data = self.doc.data
        return data

    # -- identity -----------------------------------------------------------------------
    @property
    def group(self) -> str:
        return api_group(self.api_version)

    @property
    def file(self) -> str:
        return self.doc.path

    @property
    def ref(self) -> str:
        """``kind/ns/name`` as shown in messages."""
        return f"{self.kind}/{self.namespace}/{self.name}" if self.namespace else f"{self.kind}/{self.name}"

    @property
    def ns_name(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def identity(self) -> dict:
        """apiVersion/kind/namespace/name (one dict per resource, shared by its findings:
        read-only)."""
        ident = self._identity
        if ident is None:
            ident = self._identity = {"apiVersion": self.api_version, "kind": self.kind,
                                      "namespace": self.namespace, "name": self.name}
        return ident

    def __getattr__(self, name: str):
        """Fill an empty ``@lazy`` slot (only called when normal lookup fails)."""
        compute = getattr(type(self), "_compute_" + name, None) if name[:1] != "_" else None
        if compute is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = compute(self)
        setattr(self, name, value)
        return value

    @lazy
    def metadata(self) -> dict:
        m = self._data.get("metadata")    # a Head has it: reading labels unpacks nothing
        return m if isinstance(m, dict) else EMPTY

    @lazy
    def labels(self) -> dict[str, str]:
        return str_map(self.metadata.get("labels"))

    @lazy
    def annotations(self) -> dict[str, str]:
        return str_map(self.metadata.get("annotations"))

    @property
    def spec(self) -> dict:
        s = self.data.get("spec")
        return s if isinstance(s, dict) else EMPTY

    # -- positions ----------------------------------------------------------------------
    @property
    def packed(self) -> bool:
        """Kept as a packed document (``packable``): nothing beyond metadata was needed."""
        return self._data.__class__ is Head

    def locate(self, *path, key: bool = False) -> Location:
        """Location of ``path`` inside this object (nearest existing parent if absent)."""
        return self.doc.locate(self.base + tuple(path), key=key)

    def get(self, *path, default=None) -> Any:
        return get(self.data, *path, default=default)

    def __repr__(self) -> str:
        return f"<{self.ref} @ {self.file}>"


class Workload(Resource):
    """Anything with a pod template: controllers, Jobs, CronJobs and bare Pods."""

    namespace: str                     # a namespaced kind: never None (typing only)

    @property
    def template_path(self) -> tuple:
        return POD_TEMPLATE_PATHS[self.kind]

    @lazy
    def template(self) -> dict:
        t = self.get(*self.template_path) if self.template_path else self.data
        return t if isinstance(t, dict) else EMPTY

    @lazy
    def pod_labels(self) -> dict[str, str]:
        return str_map(get(self.template, "metadata", "labels"))

    @lazy
    def pod_annotations(self) -> dict[str, str]:
        return str_map(get(self.template, "metadata", "annotations"))

    @lazy
    def pod_spec(self) -> dict:
        s = self.template.get("spec")
        return s if isinstance(s, dict) else EMPTY

    @lazy
    def container_ports(self) -> tuple[ContainerPort, ...]:
        out = []
        for group in ("containers", "initContainers"):
            containers = self.pod_spec.get(group)
            for c in containers if isinstance(containers, list) else ():
                ports = c.get("ports") if isinstance(c, dict) else None
                for p in ports if isinstance(ports, list) else ():
                    if not isinstance(p, dict):
                        continue
                    num = p.get("containerPort")
                    if isinstance(num, int) and not isinstance(num, bool):
                        name = p.get("name")
                        proto = p.get("protocol", "TCP")
                        out.append(ContainerPort(name if isinstance(name, str) else None, num,
                                                 proto if isinstance(proto, str) else "TCP"))
        return tuple(out)

    @property
    def host_network(self) -> bool:
        return self.pod_spec.get("hostNetwork") is True

    @lazy
    def pod_ips(self) -> tuple[str, ...]:
        """Known pod addresses (only bare Pods of a cluster dump have them)."""
        if self.kind != "Pod":
            return ()
        status = self.data.get("status")
        if not isinstance(status, dict):
            return ()
        ips = []
        entries = status.get("podIPs")
        for entry in entries if isinstance(entries, list) else ():  # `podIPs: true` must not crash
            if isinstance(entry, dict) and isinstance(entry.get("ip"), str):
                ips.append(entry["ip"])
        if isinstance(status.get("podIP"), str) and status["podIP"] not in ips:
            ips.append(status["podIP"])
        return tuple(ips)

    @lazy
    def controller(self) -> tuple[str, str] | None:
        """(kind, name) of the controlling owner of a Pod from a cluster dump."""
        owners = self.metadata.get("ownerReferences")
        for o in owners if isinstance(owners, list) else ():
            if isinstance(o, dict) and o.get("controller") is True and isinstance(o.get("name"), str):
                return str(o.get("kind", "")), o["name"]
        return None

    pod_template_text = "pod template"     # how messages name where the pods' labels are set
    pod_labels_text = "the pod template labels"

    @property
    def labels_path(self) -> tuple:
        """Path (inside this object) of the mapping that holds the pods' own labels."""
        return self.template_path + ("metadata", "labels")

    def template_node_path(self, path: tuple) -> tuple:
        """Where a node of ``template`` (a path inside it) sits inside this object."""
        return self.template_path + tuple(path)

    def labels_location(self) -> Location:
        """The pod template's ``labels`` mapping (or the nearest existing parent)."""
        return self.locate(*self.labels_path)


class NetworkPolicy(Resource):
    namespace: str                     # a namespaced kind: never None (typing only)

    @lazy
    def policy_types(self) -> tuple[str, ...]:
        """Effective policyTypes: as written, else Ingress (+ Egress when egress rules exist);
        the language server's hover shows them."""
        types = self.spec.get("policyTypes")
        if isinstance(types, list) and types:
            return tuple(t for t in types if isinstance(t, str))
        out = ["Ingress"]
        egress = self.spec.get("egress")
        if isinstance(egress, list) and egress:  # the API server defaults on len(egress) > 0
            out.append("Egress")
        return tuple(out)

    def rules(self, direction: str) -> list:
        r = self.spec.get("ingress" if direction == "Ingress" else "egress")
        return r if isinstance(r, list) else []

    @property
    def is_managed(self) -> bool:
        return has_managed_labels(self.labels)


class Service(Resource):
    namespace: str                     # a namespaced kind: never None (typing only)

    @property
    def selector(self) -> dict[str, str] | None:
        sel = self.spec.get("selector")
        return str_map(sel) if isinstance(sel, dict) else None

    def ports(self) -> Iterator[tuple[int, dict]]:
        ports = self.spec.get("ports")
        for i, p in enumerate(ports if isinstance(ports, list) else ()):
            if isinstance(p, dict):
                yield i, p


class Namespace(Resource):
    pass


class IstioCR(Resource):
    """The Kyma Istio CR.  Without ``metadata.namespace`` it is read as meant for kyma-system,
    the only namespace whose Istio CR the module reconciles (kyma-project/istio
    internal/controller/istio_controller.go: a CR elsewhere is set to Error, "istio CR is not
    in kyma-system namespace"); ``implied_namespace`` says so, and NPL401 asks for the
    namespace to be written (unless the configured default namespace is kyma-system).  A
    kustomization's ``namespace:`` still places it (Model._place clears the flag)."""

    KYMA_SYSTEM = "kyma-system"

    def __init__(self, doc: Document, base: tuple, data: dict, default_namespace: str):
        super().__init__(doc, base, data, default_namespace)
        meta = data.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        # (a configured default namespace of kyma-system says where namespace-less objects go)
        self.implied_namespace = not (isinstance(ns, str) and ns) and default_namespace != self.KYMA_SYSTEM
        if self.implied_namespace:
            self.namespace = self.KYMA_SYSTEM


class APIRule(Resource):
    namespace: str                     # a namespaced kind: never None (typing only)


class Gateway(Resource):
    namespace: str                     # a namespaced kind: never None (typing only)


class VirtualService(Resource):
    namespace: str                     # a namespaced kind: never None (typing only)


# -- Kyma serverless ----------------------------------------------------------------------
# What the serverless controller makes of a Function (serverless.kyma-project.io/v1alpha2), from
# kyma-project/serverless @779485d15f9c15a0da7ecb42e27688c58301c1cd,
# components/buildless-serverless/api/v1alpha2/function_types.go (labels),
# internal/controller/resources/deployment.go (pod template) and service.go (Service); see
# docs/accuracy.md "Functions".
SERVERLESS_GROUP = "serverless.kyma-project.io"
FUNCTION_VERSIONS = frozenset({"v1alpha2"})          # the only version the CRD defines and serves
FUNCTION_NAME_LABEL = "serverless.kyma-project.io/function-name"
FUNCTION_MANAGED_BY_LABEL = "serverless.kyma-project.io/managed-by"
FUNCTION_UUID_LABEL = "serverless.kyma-project.io/uuid"
FUNCTION_RESOURCE_LABEL = "serverless.kyma-project.io/resource"
FUNCTION_PORT = 8080                                   # the container's (unnamed) port
FUNCTION_SERVICE_PORT = {"name": "http", "port": 80, "targetPort": FUNCTION_PORT, "protocol": "TCP"}
# Pod annotations the controller always sets (they win over spec.annotations).
FUNCTION_POD_ANNOTATIONS = {
    "proxy.istio.io/config": '{ "holdApplicationUntilProxyStarts": true }',
    "rt-cfg.kyma-project.io/alter-img-registry": "true",
    "rt-cfg.kyma-project.io/add-img-pull-secret": "true",
    "sidecar.istio.io/nativeSidecar": "true",
}


class Function(Workload):
    """A Kyma serverless Function: a workload whose pods the serverless controller creates.

    The pods carry ``spec.labels`` plus the controller's own labels (which always win):
    ``serverless.kyma-project.io/{function-name,managed-by,uuid,resource}`` and
    ``app.kubernetes.io/name: <name>``; ``metadata.labels`` never reach them.  Their
    annotations are ``spec.annotations`` plus the controller's defaults, their one container
    listens on the unnamed port 8080/TCP.  The uid is unknown offline: the ``uuid`` label holds
    ``metadata.uid`` when the input has it (a cluster dump), else a token of this Function's
    own, so the Function's Service (``service``) selects exactly these pods and no policy of
    the input can.  ``template`` is a pod-template view ``{metadata: {labels, annotations}}``
    of ``spec.labels`` / ``spec.annotations``; ``template_node_path`` maps its nodes back.
    """

    template_path = ("spec",)
    pod_template_text = "spec.labels"
    pod_labels_text = "spec.labels"

    @property
    def labels_path(self) -> tuple:
        return ("spec", "labels")

    def template_node_path(self, path: tuple) -> tuple:
        if len(path) >= 2 and path[0] == "metadata" and path[1] in ("labels", "annotations"):
            return ("spec",) + tuple(path[1:])
        return ("spec",)

    @lazy
    def template(self) -> dict:
        meta = {}
        for key in ("labels", "annotations"):
            if key in self.spec:
                meta[key] = self.spec[key]
        return {"metadata": meta} if meta else EMPTY

    @lazy
    def uid(self) -> str:
        uid = self.metadata.get("uid")
        return uid if isinstance(uid, str) and uid else f"uid-of-function-{self.namespace}.{self.name}"

    @lazy
    def selector_labels(self) -> dict[str, str]:
        """The Function's Service selector (and the Deployment's): never user labels."""
        return {FUNCTION_NAME_LABEL: self.name, FUNCTION_MANAGED_BY_LABEL: "function-controller",
                FUNCTION_UUID_LABEL: self.uid, FUNCTION_RESOURCE_LABEL: "deployment"}

    @lazy
    def pod_labels(self) -> dict[str, str]:
        labels = dict(str_map(self.spec.get("labels")))
        labels.update(self.selector_labels)
        labels["app.kubernetes.io/name"] = self.name
        return labels

    @lazy
    def pod_annotations(self) -> dict[str, str]:
        annotations = dict(str_map(self.spec.get("annotations")))
        annotations.update(FUNCTION_POD_ANNOTATIONS)
        return annotations

    @lazy
    def container_ports(self) -> tuple[ContainerPort, ...]:
        return (ContainerPort(None, FUNCTION_PORT, "TCP"),)

    @lazy
    def service(self) -> "FunctionService":
        """The Service serverless creates: the Function's name, ``http`` 80 → 8080/TCP."""
        labels = dict(self.labels)
        labels.update(self.selector_labels)
        data = {"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": self.name, "namespace": self.namespace, "labels": labels},
                "spec": {"selector": dict(self.selector_labels), "ports": [dict(FUNCTION_SERVICE_PORT)]}}
        return FunctionService(self, data)


class FunctionService(Service):
    """The Service of a Function: not a document of the input, so its nodes are located at the
    Function (``spec.selector`` and ``spec.ports`` at the Function's ``spec``)."""

    __slots__ = ("function",)

    def __init__(self, function: Function, data: dict):
        super().__init__(function.doc, function.base, data, function.namespace or "default")
        self.namespace = function.namespace     # as placed: a deployment unit's own (model/units.py)
        self.function = function

    def locate(self, *path, key: bool = False) -> Location:
        if path[:2] == ("metadata", "name"):
            return self.function.locate("metadata", "name", key=key)
        return self.function.locate("spec")


# Plain resources whose spec the built-in analysis reads (routes to Functions, NPL106's
# Prometheus selectors): never packed, they are read anyway.
READ_BEYOND_METADATA = frozenset({"Function", "Prometheus", "ServiceMonitor", "PodMonitor",
                                  # webhooks the API server calls (NPL208)
                                  "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"})


def packable(data: Any) -> bool:
    """True for an object the model keeps as a plain ``Resource`` and no built-in analysis
    reads beyond its metadata (see ``Document.pack``): not a workload, policy, Service,
    route ..., not one of ``READ_BEYOND_METADATA``, and no pod labels embedded in its spec
    (custom resources that make pods count as pods for NPL501)."""
    if type(data) is not dict or len(data) <= 3:
        return False
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (type(api_version) is str and type(kind) is str and api_version and kind) or kind.endswith("List"):
        return False
    if kind in READ_BEYOND_METADATA or resource_class(api_version, kind) is not Resource:
        return False
    if kind == "CustomResourceDefinition" and has_conversion_webhook(data):
        return False              # NPL208 reads it; other CRDs (large schemas) stay packed
    return kind in CLUSTER_SCOPED or "." not in api_group(api_version) or not embedded_labels(data.get("spec"))


def has_conversion_webhook(data: Any) -> bool:
    """A CRD whose ``spec.conversion.strategy`` is ``Webhook`` (NPL208 traces it)."""
    conversion = get(data, "spec", "conversion")
    return isinstance(conversion, dict) and conversion.get("strategy") == "Webhook"


def embedded_labels(node: Any, depth: int = 0, found: list | None = None) -> list[dict[str, str]]:
    """Every ``metadata.labels`` mapping inside ``node`` (a custom resource's spec): the pod
    templates operators embed in their own kinds (Rollouts, sandboxes, Ray clusters ...).
    Bounded like any walk of input: 8 levels, 64 items per list."""
    found = [] if found is None else found
    if depth > 8 or not isinstance(node, dict):
        return found
    meta = node.get("metadata")
    if isinstance(meta, dict) and isinstance(meta.get("labels"), dict):
        found.append(str_map(meta["labels"]))
    for value in node.values():
        if isinstance(value, dict):
            embedded_labels(value, depth + 1, found)
        elif isinstance(value, list):
            for item in value[:64]:
                embedded_labels(item, depth + 1, found)
    return found


def api_group(api_version: str) -> str:
    """``apps`` of ``apps/v1``; "" for the core group (``v1``)."""
    return api_version.split("/", 1)[0] if "/" in api_version else ""


# Route sources by (group, kind): the versions the linter understands.  A document of such a
# kind with another version is not traced; the model lists it (``Model.unrecognised``) and the
# summary says so (never skipped silently).
ROUTE_SOURCE_VERSIONS = {
    ("gateway.kyma-project.io", "APIRule"): frozenset({"v1alpha1", "v1beta1", "v2alpha1", "v2"}),
    ("networking.istio.io", "VirtualService"): frozenset({"v1alpha3", "v1beta1", "v1"}),
    ("networking.istio.io", "Gateway"): frozenset({"v1alpha3", "v1beta1", "v1"}),
}


def api_version_name(api_version: str) -> str:
    """``v1beta1`` of ``gateway.kyma-project.io/v1beta1``."""
    return api_version.rsplit("/", 1)[-1]


def resource_class(api_version: str, kind: str) -> type[Resource]:
    group = api_group(api_version)
    if kind in POD_TEMPLATE_PATHS and group in ("", "apps", "batch", "extensions"):
        return Workload
    if kind == "NetworkPolicy" and group in ("networking.k8s.io", "extensions"):
        return NetworkPolicy
    if group == "":
        return {"Service": Service, "Namespace": Namespace}.get(kind, Resource)
    if kind == "Istio" and group == "operator.kyma-project.io":
        return IstioCR
    if kind == "Function" and group == SERVERLESS_GROUP:
        return Function if api_version_name(api_version) in FUNCTION_VERSIONS else Resource
    versions = ROUTE_SOURCE_VERSIONS.get((group, kind))
    if versions is None or api_version_name(api_version) not in versions:
        return Resource
    return {"APIRule": APIRule, "Gateway": Gateway, "VirtualService": VirtualService}[kind]


def unrecognised_version(r: Resource) -> bool:
    """A route source (APIRule, VirtualService, Gateway) of a version the linter does not read."""
    return r.__class__ is Resource and (r.group, r.kind) in ROUTE_SOURCE_VERSIONS
