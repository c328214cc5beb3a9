"""NPL208 webhook-blocked: the API server cannot reach a webhook's pods through their policies."""
from __future__ import annotations

import dataclasses

from netpol_lint.analysis.gateway_checks import edited_module_policies, input_related, istiod, workload_endpoint
from netpol_lint.analysis.istio_world import ISTIOD
from netpol_lint.analysis.managed import deny_by_default_directions
from netpol_lint.analysis.webhooks import Webhook, backends, webhooks
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule
from netpol_lint.wording import plural

ISTIOD_WEBHOOK_PORT = 443


class WebhookBlocked(Rule):
    id = "NPL208"
    name = "webhook-blocked"
    severity = "error"
    summary = ("Checks for admission webhooks (Validating/MutatingWebhookConfiguration) and CRD conversion webhooks "
               "whose Service's pods are isolated for ingress without a policy admitting the API server on the "
               "target port; a `failurePolicy: Ignore` webhook is a warning.")
    rationale = ("The API server calls a webhook through its Service, so the call arrives on the pods' target port "
                 "from the API server — on Gardener through the VPN, from the vpn-shoot pods of kube-system; on "
                 "plain Kubernetes from an address outside the pod network. A deny-by-default policy that does not "
                 "admit it makes every call time out: with `failurePolicy: Fail` (the default) every matching "
                 "create or update in the cluster is rejected, a conversion webhook breaks every read of the other "
                 "version; with `Ignore` the check is silently skipped.")
    bad_example = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: orders-validator}
webhooks:
- name: orders.example.com
  failurePolicy: Fail
  clientConfig:
    service: {namespace: shop, name: orders-webhook, port: 443}
---
apiVersion: v1
kind: Service
metadata: {name: orders-webhook, namespace: shop}
spec:
  selector: {app: orders-webhook}
  ports: [{port: 443, targetPort: 9443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-webhook, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: orders-webhook}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]   # the API server cannot call the webhook
"""
    good_example = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: orders-validator}
webhooks:
- name: orders.example.com
  failurePolicy: Fail
  clientConfig:
    service: {namespace: shop, name: orders-webhook, port: 443}
---
apiVersion: v1
kind: Service
metadata: {name: orders-webhook, namespace: shop}
spec:
  selector: {app: orders-webhook}
  ports: [{port: 443, targetPort: 9443}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: orders-webhook, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: orders-webhook}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-apiserver, namespace: shop}
spec:
  podSelector: {matchLabels: {app: orders-webhook}}
  policyTypes: [Ingress]
  ingress:
  - from:   # Gardener: the API server's calls come through the VPN
    - namespaceSelector: {matchLabels: {gardener.cloud/purpose: kube-system}}
      podSelector: {matchLabels: {app: vpn-shoot}}
    ports: [{protocol: TCP, port: 9443}]
"""
    fix_text = ("Admit the API server on the webhook pods' target port: on Gardener from pods `app: vpn-shoot` of "
                "the namespace `gardener.cloud/purpose: kube-system` (both selectors in one peer), on plain "
                "Kubernetes from the control plane's addresses (an ipBlock) — or with an ingress rule on that port "
                "without `from`.")
    tags = ("reachability", "ingress", "webhooks")

    def check(self, ctx):
        network = ctx.network
        model = ctx.model
        caller = network.apiserver_caller()
        blocked: dict[tuple[str, int], list] = {}
        for hook in webhooks(model):
            for w, port in backends(model, hook):
                e = workload_endpoint(network, w)
                if e is None or e.host_network or not network.isolating(e, "Ingress"):
                    continue
                verdict = network.allowed(caller, e, port, "TCP")
                if not verdict.ingress.allowed:
                    blocked.setdefault((e.id, port), []).append((hook, e, verdict))
        yield from self._istiod(ctx, network, caller, blocked)
        for (eid, port), items in sorted(blocked.items()):
            hooks = list(dict.fromkeys(h for h, _, _ in items))
            _, e, verdict = items[0]
            w = e.workload
            related = [Related(h.config.locate(*h.path), h.label) for h in hooks if h.config is not None]
            related += [Related(p.locate("spec", "podSelector"), f"NetworkPolicy {p.ns_name} isolates the pods")
                        for p in verdict.ingress.policies]
            f = self.finding(
                w, w.labels_location(),
                self._message(f"{w.kind} {w.ns_name}", hooks, port, verdict, network),
                related=input_related(related), node_hint=[sorted(h.label for h in hooks), port],
                **self._explained(ctx, verdict, f"{w.kind} {w.ns_name}", hooks, port),
            )
            yield f if any(h.fails_closed for h in hooks) else dataclasses.replace(f, severity="warning")

    def _istiod(self, ctx, network, caller, blocked):
        """The Istio module's own webhooks (Service istiod:443 -> 15017) when istiod's Service is not in the input."""
        if ctx.model.service(ISTIOD.namespace, "istiod") is not None:
            return
        target = istiod(network)
        port = ISTIOD.target_port("istiod", ISTIOD_WEBHOOK_PORT)
        if target is None or port is None or target.host_network or not network.isolating(target, "Ingress"):
            return
        verdict = network.allowed(caller, target, port, "TCP")
        if verdict.ingress.allowed:
            return
        policies = [p for p in verdict.ingress.policies if not p.file.startswith("<")]
        # NPL303 reports a deny-by-default policy in istio-system while the module's policies
        # are off and names this consequence: one cause, one finding.
        if not ctx.kyma.policies_enabled and any("Ingress" in deny_by_default_directions(p.spec) for p in policies):
            return
        what = "; ".join(h.get("what", "") for h in ISTIOD.webhooks) or "webhooks"
        hook = Webhook(None, (), f"the Istio module's webhooks ({what})", ISTIOD.namespace, "istiod",
                       ISTIOD_WEBHOOK_PORT, True)
        if not target.synthetic:
            blocked.setdefault((target.id, port), []).append((hook, target, verdict))
            return
        if not policies:
            return
        anchor = policies[0]
        related = [Related(p.locate("spec", "podSelector"), f"NetworkPolicy {p.ns_name} isolates istiod")
                   for p in policies[1:]]
        yield self.finding(anchor, anchor.locate("spec", "podSelector"),
                           self._message(f"istiod ({target.id})", [hook], port, verdict, network),
                           related=related, node_hint=["istiod", port],
                           **self._explained(ctx, verdict, f"istiod ({target.id})", [hook], port))

    @staticmethod
    def _explained(ctx, verdict, subject: str, hooks: list[Webhook], port: int) -> dict:
        """One cause, one finding: an edited copy of a module policy that alone blocks the call
        (the module's own policy admits it) is NPL302's finding, which then carries this one."""
        causes = edited_module_policies(ctx, verdict)
        if not causes:
            return {}
        labels = "; ".join(h.label for h in hooks)
        return {"explained_by": tuple(("NPL302", loc.file, loc.line) for loc in causes),
                "explained_note": f"the edit blocks {labels}: the API server cannot reach TCP {port} of {subject}"}

    @staticmethod
    def _message(subject: str, hooks: list[Webhook], port: int, verdict, network) -> str:
        names = ", ".join(verdict.ingress.policy_names)
        caller = verdict.src
        who = (f"the API server (its calls come through the VPN from {caller.id} on Gardener)"
               if not caller.external else "the API server (an address outside the pod network)")
        called = "; ".join(f"{h.label} calls Service {h.service_ref} port {h.port}" if h.config is not None
                           else f"{h.label} call Service {h.service_ref} port {h.port}" for h in hooks)
        if any(h.config is None for h in hooks):
            effect = "pods are created without sidecars or rejected, and Istio resources are not validated"
        elif any(h.config is not None and h.config.kind == "CustomResourceDefinition" for h in hooks):
            effect = "requests that need a conversion between the CRD's versions fail"
        elif any(h.fails_closed for h in hooks):
            effect = "every API request the webhook handles is rejected"
        else:
            effect = "the webhook is silently skipped (failurePolicy: Ignore)"
        isolate = plural(verdict.ingress.policy_names, "isolates", "isolate")
        return (f"{called}, which sends to TCP {port} of {subject}; {names} {isolate} it for ingress "
                f"and no policy admits {who} there: {effect}")


RULE = WebhookBlocked
