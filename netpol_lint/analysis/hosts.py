"""How Istio and Kyma name Services and Gateways, written down once.

Route tracing has to read the names that routes carry exactly the way the data plane does,
or the linter either invents routes (false NPL101/NPL201) or misses them:

* VirtualService destination hosts: a short name resolves in the *VirtualService's*
  namespace; ``svc.ns.svc.cluster.local`` is Service ``ns/svc``; ``svc.ns`` and
  ``svc.ns.svc`` are *not* expanded by Istio (they name no registry host, NPL109); other
  dotted names are external hosts (ServiceEntries) and wildcards match many hosts.
* ext_authz providers (Istio CR ``spec.config.authorizers[].service``): ``[ns/]host`` where
  ``host`` must be a registry hostname, i.e. the FQDN; Istio looks the string up verbatim,
  so a short name does not resolve either.
* Gateway references: ``ns/name`` and ``./name``; Istio also still accepts the legacy
  ``name`` (the referrer's namespace), ``name.ns`` and ``name.ns.svc.cluster.local``.  APIRule
  v1beta1 passes its ``spec.gateway`` through to Istio, so it accepts the same forms;
  APIRule v2alpha1/v2 validate ``spec.gateway`` as ``namespace/name`` only.
"""
from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from ..model.validate import is_dns1123_label

CLUSTER_SUFFIX = ".svc.cluster.local"
_GATEWAY_PART = re.compile(r"^[0-9a-zA-Z_.-]+$")


@dataclass(frozen=True)
class HostRef:
    """What a route's host names.

    ``form``: ``service`` (``namespace``/``name`` are set), ``unexpanded`` (looks like a
    Service but Istio cannot resolve it; ``suggestion`` holds the FQDN to write instead),
    ``external`` (a host outside the cluster's Service registry), ``wildcard`` or ``invalid``.
    """

    form: str
    namespace: str | None = None
    name: str | None = None
    suggestion: str | None = None

    @property
    def is_service(self) -> bool:
        return self.form == "service"


def parse_destination_host(host: Any, vs_namespace: str, known_namespaces: Container[str]) -> HostRef:
    """A VirtualService ``destination.host`` as Istio resolves it.

    ``known_namespaces`` decides whether a two-label host ``a.b`` is the unexpanded form of
    Service ``b/a`` (``b`` is a namespace the linter knows) or an external name (``example.com``).
    """
    if not isinstance(host, str) or not host.strip():
        return HostRef("invalid")
    host = host.strip()
    if "*" in host:
        return HostRef("wildcard")
    parts = host.split(".")
    if len(parts) == 1:
        return HostRef("service", vs_namespace, host) if is_dns1123_label(host) else HostRef("invalid")
    if host.endswith(CLUSTER_SUFFIX) and len(parts) == 5 and is_dns1123_label(parts[0]) and is_dns1123_label(parts[1]):
        return HostRef("service", parts[1], parts[0])
    if len(parts) == 3 and parts[2] == "svc" and is_dns1123_label(parts[0]) and is_dns1123_label(parts[1]):
        return HostRef("unexpanded", parts[1], parts[0], f"{parts[0]}.{parts[1]}{CLUSTER_SUFFIX}")
    if len(parts) == 2 and parts[1] in known_namespaces and is_dns1123_label(parts[0]):
        return HostRef("unexpanded", parts[1], parts[0], f"{parts[0]}.{parts[1]}{CLUSTER_SUFFIX}")
    return HostRef("external")


def parse_authorizer_service(service: Any, known_namespaces: Container[str]) -> HostRef:
    """An ext_authz provider's ``service`` (``[ns/]host``), looked up verbatim by Istio."""
    if not isinstance(service, str) or not service.strip():
        return HostRef("invalid")
    text = service.strip()
    ns_prefix = None
    if "/" in text:
        ns_prefix, text = text.split("/", 1)
        if not is_dns1123_label(ns_prefix):
            return HostRef("invalid")
    ref = parse_destination_host(text, ns_prefix or "", known_namespaces)
    if ref.form == "service" and "." not in text:
        # A short name is not a registry hostname: Istio finds no such host.
        ns = ns_prefix or "<namespace>"
        return HostRef("unexpanded", ns_prefix, text, f"{text}.{ns}{CLUSTER_SUFFIX}")
    if ref.form == "service" and ns_prefix and ns_prefix != ref.namespace:
        return HostRef("invalid")  # the namespace restriction excludes the host's own namespace
    return ref


def resolve_gateway_ref(ref: Any, namespace: str, legacy_forms: bool = True) -> tuple[str, str] | None:
    """``(namespace, name)`` a gateway reference points at, or None when it is malformed.

    ``mesh`` is not a gateway (the caller checks for it first).  With ``legacy_forms=False``
    only ``ns/name`` (and ``./name``) are accepted, as APIRule v2alpha1/v2 validate it.
    """
    if not isinstance(ref, str) or not ref.strip():
        return None
    ref = ref.strip()
    if "/" in ref:
        ns, _, name = ref.partition("/")
        if ns == ".":
            ns = namespace
        if not ns or not name or "/" in name or not _GATEWAY_PART.match(ns) or not _GATEWAY_PART.match(name):
            return None
        return ns, name
    if not legacy_forms or not _GATEWAY_PART.match(ref):
        return None
    if "." not in ref:
        return namespace, ref
    # Legacy FQDN style: name.ns[.svc.cluster.local] -> ns/name (what Istio itself does).
    name, _, rest = ref.partition(".")
    ns = rest.split(".", 1)[0]
    return (ns, name) if ns and name else None
