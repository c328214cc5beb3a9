"""The platform a Kyma runtime runs on, as data: ``netpol_lint/data/platform.yaml``.

RULES.md "The platform": a Kyma runtime runs on Gardener unless config ``platform: generic``
says otherwise.  The data file holds, with provenance, the Istio module's components (full pod
labels, ports, Services), the namespaces the module and lifecycle-manager create, and per
platform kube-system's labels, CoreDNS, node-local DNS and how the API server appears.  This
module only reads it; the engine (``analysis/istio_world.py``) turns it into endpoints, the
model (``index.py``) into namespace labels.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml

PLATFORMS = ("gardener", "generic")
DEFAULT_PLATFORM = "gardener"
DATA_FILE = "platform.yaml"


@dataclass(frozen=True)
class Port:
    name: str
    port: int
    protocol: str = "TCP"
    declared: bool = True          # a containerPort in the manifest (False: listening, undeclared)


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int
    protocol: str = "TCP"


@dataclass(frozen=True)
class Component:
    """A workload the platform always runs (or, ``optional``, runs when enabled)."""

    namespace: str
    name: str
    kind: str
    role: str
    labels: dict
    ports: tuple[Port, ...] = ()
    services: tuple[tuple[str, tuple[ServicePort, ...]], ...] = ()
    host_network: bool = False
    optional: bool = False
    webhooks: tuple[dict, ...] = ()
    sources: tuple[dict, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"

    def target_port(self, service: str, port: int, protocol: str = "TCP") -> int | None:
        for name, ports in self.services:
            if name == service:
                for p in ports:
                    if p.port == port and p.protocol == protocol:
                        return p.target_port
        return None


@dataclass(frozen=True)
class Platform:
    name: str
    description: str
    namespaces: dict                      # name -> labels (module namespaces + kube-system)
    components: tuple[Component, ...]     # Istio module's + the platform's own
    dns: Component                        # CoreDNS
    apiserver_caller: str | None          # "ns/name" of the pods webhooks come from, None: outside the pod network
    apiserver_port: int = 443
    node_local_dns: dict = field(default_factory=dict)

    def component(self, role: str) -> Component | None:
        for c in self.components:
            if c.role == role:
                return c
        return None

    @property
    def dns_ports(self) -> dict[str, int]:
        """The port CoreDNS pods listen on per protocol (what a policy must admit)."""
        return {p.protocol: p.port for p in self.dns.ports if p.name != "metrics"}


@lru_cache(maxsize=1)
def raw_data() -> dict:
    text = resources.files("netpol_lint").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _component(raw: dict) -> Component:
    ports = tuple(Port(p["name"], int(p["port"]), p.get("protocol", "TCP"), p.get("declared", True))
                  for p in raw.get("ports") or ())
    services = tuple((s["name"], tuple(ServicePort(p["name"], int(p["port"]), int(p["targetPort"]),
                                                   p.get("protocol", "TCP")) for p in s["ports"]))
                     for s in raw.get("services") or ())
    return Component(raw["namespace"], raw["name"], raw["kind"], raw["role"],
                     {str(k): str(v) for k, v in raw["labels"].items()}, ports, services,
                     bool(raw.get("host_network", False)), bool(raw.get("optional", False)),
                     tuple(raw.get("webhooks") or ()), tuple(raw.get("sources") or ()))


@lru_cache(maxsize=None)
def platform(name: str = DEFAULT_PLATFORM) -> Platform:
    """The platform ``name`` (``gardener`` or ``generic``); ValueError for another name."""
    if name not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}, not {name!r}")
    data = raw_data()
    own = data["platforms"][name]
    namespaces = {n: dict(v.get("labels") or {}) for n, v in data["namespaces"].items()}
    namespaces.update({n: dict(v.get("labels") or {}) for n, v in own["namespaces"].items()})
    components = tuple(_component(c) for c in data["components"]) + \
        tuple(_component(c) for c in own["components"])
    dns = next(c for c in components if c.role == "dns")
    api = own.get("apiserver") or {}
    return Platform(name, own.get("description", name), namespaces, components, dns,
                    api.get("caller"), int(api.get("port", 443)), dict(own.get("node_local_dns") or {}))


def namespace_labels(name: str = DEFAULT_PLATFORM) -> dict[str, dict[str, str]]:
    """The labels the platform's own namespaces carry (without the automatic name label)."""
    return platform(name).namespaces
