"""Webhooks the API server calls, traced to the pods and container port they land on (NPL208).

Admission webhooks (``ValidatingWebhookConfiguration`` / ``MutatingWebhookConfiguration``,
``webhooks[].clientConfig.service``) and CRD conversion webhooks
(``spec.conversion.webhook.clientConfig.service``, or ``spec.conversion.webhookClientConfig``
in ``apiextensions.k8s.io/v1beta1``) name a Service and its port (default 443).  The Service
sends the call to the target port of the pods it selects, and that is the port an ingress
policy must admit from the API server — the platform's caller (Gardener: the vpn-shoot pods
of kube-system; plain Kubernetes: an address outside the pod network).

The Istio module's own webhooks (sidecar injection, validation) call Service
``istio-system/istiod`` port 443, i.e. istiod's 15017 (``data/platform.yaml``); they are
checked whenever istiod's Service is not in the input.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from ..model.resources import Resource, Workload, get
from .routes import port_number, target_port

if TYPE_CHECKING:  # pragma: no cover
    from ..model.index import Model

ADMISSION_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
ADMISSION_GROUP = "admissionregistration.k8s.io"
CRD_GROUP = "apiextensions.k8s.io"


@dataclass(frozen=True)
class Webhook:
    """One webhook entry calling a Service."""

    config: Resource | None          # the configuration (None: the Istio module's own, not in the input)
    path: tuple[str | int, ...]      # to its ``clientConfig.service`` in ``config``
    label: str                       # "ValidatingWebhookConfiguration x webhooks[0] (name)"
    namespace: str
    service: str
    port: int
    fails_closed: bool               # failurePolicy Fail (or a conversion webhook): requests are rejected

    @property
    def service_ref(self) -> str:
        return f"{self.namespace}/{self.service}"


def _service_ref(raw: Any) -> tuple[str, str, int] | None:
    if not isinstance(raw, dict):
        return None
    ns, name = raw.get("namespace"), raw.get("name")
    if not (isinstance(ns, str) and ns and isinstance(name, str) and name):
        return None
    port = raw.get("port", 443)
    port = port_number(port)
    return (ns, name, port) if port is not None else None


def webhooks(model: Model) -> Iterator[Webhook]:
    """Every admission and conversion webhook of the input that calls a Service."""
    for kind in ADMISSION_KINDS:
        for cfg in model.by_kind.get(kind, ()):
            if cfg.group != ADMISSION_GROUP:
                continue
            # admissionregistration v1 defaults failurePolicy to Fail, v1beta1 to Ignore
            default = "Ignore" if cfg.api_version.endswith("v1beta1") else "Fail"
            entries = cfg.data.get("webhooks")
            for i, wh in enumerate(entries if isinstance(entries, list) else ()):
                if not isinstance(wh, dict):
                    continue
                ref = _service_ref(get(wh, "clientConfig", "service"))
                if ref is None:
                    continue
                name = wh.get("name") if isinstance(wh.get("name"), str) else f"webhooks[{i}]"
                policy = wh.get("failurePolicy", default)
                yield Webhook(cfg, ("webhooks", i, "clientConfig", "service"), f"{kind} {cfg.name} webhook {name}",
                              *ref, policy != "Ignore")
    for crd in model.by_kind.get("CustomResourceDefinition", ()):
        # packed CRDs have no conversion webhook (``packable``): unpacking one re-reads its file
        if crd.group != CRD_GROUP or crd.packed:
            continue
        conversion = crd.spec.get("conversion")
        if not isinstance(conversion, dict) or conversion.get("strategy") != "Webhook":
            continue
        for path in (("webhook", "clientConfig", "service"), ("webhookClientConfig", "service")):
            ref = _service_ref(get(conversion, *path))
            if ref is not None:
                yield Webhook(crd, ("spec", "conversion") + path, f"CustomResourceDefinition {crd.name} conversion webhook",
                              *ref, True)
                break


def backends(model: Model, hook: Webhook) -> Iterator[tuple[Workload, int]]:
    """The pod templates the webhook's Service selects and the container port each receives on."""
    service = model.service(hook.namespace, hook.service)
    if service is None or service.spec.get("type") == "ExternalName":
        return
    selector = service.selector
    if not selector:
        return
    chosen = [p for _, p in service.ports() if port_number(p.get("port")) == hook.port
              and str(p.get("protocol") or "TCP").upper() == "TCP"]
    if not chosen:
        return
    for w in model.workloads_selected(service.namespace, selector):
        target = target_port(chosen[0], w.container_ports)
        if target is not None:
            yield w, target
