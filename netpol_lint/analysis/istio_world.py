"""The cluster around the input, which manifests in a repository never show.

A Kyma cluster with the Istio module always runs the ingress gateway and istiod in
``istio-system``, the CNI node agent, and the module's controller manager in
``kyma-system``; the egress gateway runs when the Istio CR enables it (or, as far as the
input shows, when a Gateway selects it).  The platform under it (RULES.md "The platform",
config ``platform``) adds CoreDNS in ``kube-system`` and, on Gardener, the ``vpn-shoot`` pods
through which the shoot's API server calls webhooks.  Every component, with its full pod
labels and ports, comes from ``netpol_lint/data/platform.yaml`` (``model/platform.py``), the
single source with provenance; each is added as a *synthetic* pod template unless the input
defines a workload of that namespace/name itself.

The module's seven NetworkPolicies (``netpol_lint/data/istio-module-networkpolicies.yaml``,
a copy of the transcribed module source) are added only when policies are enabled, with the
API-server port substituted where the module substitutes it.  A policy of the input with the
same namespace/name replaces the module's: Kubernetes holds one object per name, and that
object is what is live until the module's next reconcile (NPL302 reports the difference).
User policies of other names in ``istio-system`` simply add up with the module's, per side,
as Kubernetes unions all policies selecting a pod.

istio-cni-node runs on the pod network in Kyma (its chart sets ``hostNetwork`` only for
ambient mode with a shared host network namespace, which Kyma does not enable), so its module
policy constrains it like any pod's.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, cast

import yaml

from ..load.documents import Document
from ..model.platform import DEFAULT_PLATFORM, Component, Platform, platform as load_platform
from ..model.resources import NetworkPolicy, Workload

if TYPE_CHECKING:  # pragma: no cover
    from ..model.index import Model
    from ..model.kyma import KymaSettings

ISTIO_SYSTEM = "istio-system"
KYMA_SYSTEM = "kyma-system"
KUBE_SYSTEM = "kube-system"
MODULE_POLICY_FILE = "istio-module-networkpolicies.yaml"
SYNTHETIC_PATH = "<istio-module>"

# Policies whose ``__API_SERVER_PORT__`` placeholder the module substitutes.
API_SERVER_PORT_POLICIES = frozenset({
    "kyma-project.io--istio-cni-node",
    "kyma-project.io--allow-istio-controller-manager",
    "kyma-project.io--istio-pilot",
})

_MODULE = load_platform(DEFAULT_PLATFORM)       # the Istio module's components are the same on every platform
# (the module's data defines each of these roles: never None)
INGRESS_GATEWAY = cast(Component, _MODULE.component("ingressgateway"))
EGRESS_GATEWAY = cast(Component, _MODULE.component("egressgateway"))
ISTIOD = cast(Component, _MODULE.component("pilot"))
CNI_NODE = cast(Component, _MODULE.component("cni"))
CONTROLLER_MANAGER = cast(Component, _MODULE.component("controller-manager"))


@dataclass
class IstioWorld:
    """What the engine adds: synthetic workloads and the module's policies (may be empty)."""

    workloads: list[Workload]
    policies: list[NetworkPolicy]
    replaced_policies: list[str]          # module policies the input redefines ("ns/name")
    platform: Platform | None = None


def _component_workload(c: Component, index: int) -> Workload:
    template: dict[str, Any] = {"metadata": {"labels": dict(c.labels)},
                "spec": {"containers": [{"name": c.name, "ports": [
                    {"name": p.name, "containerPort": p.port, "protocol": p.protocol} for p in c.ports]}]}}
    if c.host_network:
        template["spec"]["hostNetwork"] = True
    data = {"apiVersion": "apps/v1", "kind": c.kind,
            "metadata": {"name": c.name, "namespace": c.namespace, "labels": dict(c.labels)},
            "spec": {"selector": {"matchLabels": dict(c.labels)}, "template": template}}
    return Workload(Document(SYNTHETIC_PATH, index, data), (), data, c.namespace)


@lru_cache(maxsize=1)
def module_policy_items() -> tuple[dict[str, Any], ...]:
    """The seven policies as plain data, in the order the module applies them (shared: never mutate)."""
    text = resources.files("netpol_lint").joinpath("data", MODULE_POLICY_FILE).read_text(encoding="utf-8")
    # libyaml: the same data from this static file, ~20x faster than the pure-Python loader
    return tuple(yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["items"])


def substitute_api_server_port(data: dict[str, Any], api_server_port: int | str) -> dict[str, Any]:
    """``data`` (a copy of a module policy) with the API-server port substituted, in place.

    Only the policies of ``API_SERVER_PORT_POLICIES`` are touched, and there the egress rules
    to every destination whose single port is 443 (where the module's template has its
    placeholder).
    """
    if data["metadata"]["name"] in API_SERVER_PORT_POLICIES:
        for rule in data["spec"].get("egress") or ():
            ports = rule.get("ports") or []
            if not rule.get("to") and len(ports) == 1 and ports[0].get("port") == 443:
                ports[0]["port"] = api_server_port
    return data


def module_policies(api_server_port: int = 443) -> list[NetworkPolicy]:
    """The module's seven policies, in apply order, with the API-server port substituted."""
    out = []
    for i, item in enumerate(module_policy_items()):
        data = substitute_api_server_port(copy.deepcopy(item), api_server_port)
        out.append(NetworkPolicy(Document(SYNTHETIC_PATH, i, data), (), data, data["metadata"]["namespace"]))
    return out


def egress_gateway_expected(model: Model, kyma: KymaSettings | None) -> bool:
    """The Istio CR enables the egress gateway, or a Gateway in the input selects it."""
    if kyma is not None and kyma.egress_gateway_enabled:
        return True
    for gw in getattr(model, "gateways", ()):
        sel = gw.spec.get("selector")
        if isinstance(sel, dict) and sel.get("istio") == "egressgateway":
            return True
    return False


def build_istio_world(model: Model, kyma: KymaSettings | None, api_server_port: int | None = None,
                      platform: Platform | str | None = None) -> IstioWorld:
    """Synthetic components missing from ``model`` and, if enabled, the module policies."""
    if not isinstance(platform, Platform):
        platform = load_platform(platform or getattr(model, "platform", None) or DEFAULT_PLATFORM)
    defined = {(w.namespace, w.name) for w in model.workloads}
    defined |= {(w.namespace, w.controller[1]) for w in model.workloads if w.kind == "Pod" and w.controller}
    egress = egress_gateway_expected(model, kyma)
    components = [c for c in platform.components if not c.optional or egress]
    workloads = [_component_workload(c, i) for i, c in enumerate(components)
                 if (c.namespace, c.name) not in defined]
    policies: list[NetworkPolicy] = []
    replaced: list[str] = []
    if kyma is None or kyma.policies_enabled:
        port = api_server_port or (kyma.api_server_port if kyma is not None else 443) or 443
        existing = {(p.namespace, p.name) for p in model.network_policies}
        for p in module_policies(port):
            if (p.namespace, p.name) in existing:
                replaced.append(f"{p.namespace}/{p.name}")
            else:
                policies.append(p)
    return IstioWorld(workloads, policies, replaced, platform)
