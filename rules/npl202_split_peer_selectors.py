"""NPL202 split-peer-selectors: a namespaceSelector and a podSelector written as two peers."""
from __future__ import annotations

from netpol_lint.analysis.gateway_checks import iter_peers
from netpol_lint.analysis.selectors import LabelIndex, parse_selector
from netpol_lint.engine.findings import Related
from netpol_lint.engine.rulebase import Rule


class SplitPeerSelectors(Rule):
    id = "NPL202"
    name = "split-peer-selectors"
    severity = "error"
    summary = ("Checks for a `from`/`to` list holding a namespaceSelector-only peer and a podSelector-only peer "
               "whose pods only exist in the namespaces the other one selects — two items that read as one "
               "intended peer.")
    rationale = ("Separate list items are ORed: `- namespaceSelector: {…istio-system}` and "
                 "`- podSelector: {istio: ingressgateway}` admit every pod of istio-system plus pods labelled "
                 "`istio: ingressgateway` in the policy's own namespace (usually none). The policy is both too "
                 "open (every pod of that namespace) and not what was meant (the pod selector matches nothing).")
    bad_example = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: istio-system}
    - podSelector:   # a second peer: any pod of istio-system OR istio: ingressgateway pods of shop
        matchLabels: {istio: ingressgateway}
"""
    good_example = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-ingressgateway, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: istio-system}
      podSelector:   # one peer: ingressgateway pods of istio-system
        matchLabels: {istio: ingressgateway}
"""
    fix_text = ("Merge the two into one list item (remove the `-` before `podSelector`) so both selectors apply "
                "together: pods with those labels in the selected namespaces.")
    tags = ("policy-content",)

    def check(self, ctx):
        network = ctx.network
        namespaces = _namespace_labels(ctx, network)
        index = LabelIndex(e.labels for e in network.endpoints)    # bit i = network.endpoints[i]
        for policy in ctx.model.network_policies:
            groups: dict[tuple, list] = {}
            for direction, i, j, peer, path in iter_peers(policy):
                if isinstance(peer, dict):
                    groups.setdefault((direction, i), []).append((j, peer, path))
            for (direction, i), peers in sorted(groups.items()):
                ns_only = [(j, p, path) for j, p, path in peers if set(p) == {"namespaceSelector"}]
                pod_only = [(j, p, path) for j, p, path in peers if set(p) == {"podSelector"}]
                if not ns_only or not pod_only:
                    continue
                for j, peer, path in pod_only:
                    found = _intended_partner(network, index, namespaces, policy.namespace, peer, ns_only)
                    if found is None:
                        continue
                    (nj, npeer, npath), where = found
                    pods = parse_selector(peer["podSelector"]).describe()
                    nss = parse_selector(npeer["namespaceSelector"]).describe()
                    fld = "from" if direction == "Ingress" else "to"
                    yield self.finding(
                        policy, policy.locate(*path),
                        f"{fld}[{j}] (podSelector {pods}) and {fld}[{nj}] (namespaceSelector {nss}) are separate "
                        f"peers, which means OR: every pod of the namespaces {nss}, plus pods {pods} of namespace "
                        f"{policy.namespace}, where none exist (they run in {', '.join(where)}). Write both selectors "
                        f"in one peer to mean pods {pods} in namespaces {nss}",
                        related=[Related(policy.locate(*npath), f"the namespaceSelector-only peer {fld}[{nj}]")],
                        node_hint=[direction, i, j],
                    )


def _namespace_labels(ctx, network) -> dict[str, dict[str, str]]:
    out = dict(ctx.model.known_namespaces())
    for e in network.endpoints:
        if e.namespace and e.namespace not in out:
            out[e.namespace] = ctx.model.namespace_labels(e.namespace)
    return out


def _intended_partner(network, index, namespaces, own_ns: str, peer: dict, ns_only: list):
    """The namespaceSelector-only sibling whose namespaces hold the pods ``peer`` selects, when
    ``peer`` selects none in its own namespace; with the names of those namespaces."""
    sel = parse_selector(peer.get("podSelector"))
    if not sel.valid or sel.matches_all:
        return None                     # `- podSelector: {}` (the whole own namespace) is a normal peer
    matching = network.endpoints_in(sel.mask(index))    # from the label index, in endpoint order
    if any(e.namespace == own_ns for e in matching):
        return None
    for j, npeer, npath in ns_only:
        ns_sel = parse_selector(npeer.get("namespaceSelector"))
        if not ns_sel.valid:
            continue
        where = sorted({e.namespace for e in matching
                        if e.namespace != own_ns and ns_sel.matches(namespaces.get(e.namespace, {}))})
        if where:
            return (j, npeer, npath), where
    return None


RULE = SplitPeerSelectors
