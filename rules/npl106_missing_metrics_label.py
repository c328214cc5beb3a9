"""NPL106 missing-metrics-label: a scraper of Istio metrics without the label the module's policies admit."""
from __future__ import annotations

from typing import Any

from netpol_lint.analysis.istio_world import EGRESS_GATEWAY, INGRESS_GATEWAY, ISTIOD
from netpol_lint.analysis.selectors import parse_selector
from netpol_lint.engine.findings import Related
from netpol_lint.model.resources import ISTIO_METRICS, METRICS_SCRAPING, str_map
from netpol_lint.engine.rulebase import Rule, RuleOption

MONITORING_GROUP = "monitoring.coreos.com"
MODULE_KEY = "kyma-project.io/module"
ISTIO_COMPONENTS = (INGRESS_GATEWAY, EGRESS_GATEWAY, ISTIOD)
# (monitor kind, Prometheus selector field, Prometheus namespace-selector field)
MONITOR_KINDS = (("ServiceMonitor", "serviceMonitorSelector", "serviceMonitorNamespaceSelector"),
                 ("PodMonitor", "podMonitorSelector", "podMonitorNamespaceSelector"))


def check_scrapers(value: Any) -> list[dict]:
    """The ``scrapers`` option: a list of ``{namespace?, matchLabels}`` pod selectors."""
    if not isinstance(value, list):
        raise ValueError("must be a list of {namespace, matchLabels}")
    for i, s in enumerate(value):
        if not isinstance(s, dict) or set(s) - {"namespace", "matchLabels"}:
            raise ValueError(f"[{i}] takes only 'namespace' and 'matchLabels'")
        if "namespace" in s and not isinstance(s["namespace"], str):
            raise ValueError(f"[{i}].namespace must be a string")
        labels = s.get("matchLabels")
        if labels is not None and (not isinstance(labels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in labels.items())):
            raise ValueError(f"[{i}].matchLabels must map label keys to string values")
    return list(value)


def carries_metrics_label(labels: dict) -> bool:
    return (labels.get(ISTIO_METRICS) == "allowed" or labels.get(METRICS_SCRAPING) == "allowed"
            or MODULE_KEY in labels)


def has_wrong_value(labels: dict) -> bool:
    """A metrics label present with a value other than ``allowed`` (NPL103 reports it)."""
    return any(k in labels and labels[k] != "allowed" for k in (ISTIO_METRICS, METRICS_SCRAPING))


class MissingMetricsLabel(Rule):
    id = "NPL106"
    name = "missing-metrics-label"
    severity = "warning"
    summary = ("Checks for scrapers of Istio metrics — a Prometheus CR whose ServiceMonitor/PodMonitor selectors "
               "pick a monitor of `istio-system`, or a workload matching a configured `scrapers` selector — "
               "whose pods lack `networking.kyma-project.io/istio-metrics: allowed` or `metrics-scraping: allowed`.")
    rationale = ("The module's policies admit traffic to the gateways' metrics and health ports (15020, 15021, "
                 "15090) and to istiod's 15014 only from pods labelled `istio-metrics: allowed` or "
                 "`metrics-scraping: allowed` (or module pods). An unlabelled Prometheus loses every Istio metric "
                 "once the policies are on, and the dashboards and alerts built on them go quiet.")
    bad_example = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
  serviceMonitorNamespaceSelector: {}
  podMetadata:
    labels: {app: prometheus}   # no metrics-scraping: allowed
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: istio-gateways, namespace: monitoring}
spec:
  namespaceSelector: {matchNames: [istio-system]}   # scrapes Istio's metrics
  selector: {matchLabels: {istio: ingressgateway}}
  endpoints: [{port: http-envoy-prom}]
"""
    good_example = """\
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: k8s, namespace: monitoring}
spec:
  serviceMonitorSelector: {}
  serviceMonitorNamespaceSelector: {}
  podMetadata:
    labels:
      app: prometheus
      networking.kyma-project.io/metrics-scraping: allowed
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: istio-gateways, namespace: monitoring}
spec:
  namespaceSelector: {matchNames: [istio-system]}   # scrapes Istio's metrics
  selector: {matchLabels: {istio: ingressgateway}}
  endpoints: [{port: http-envoy-prom}]
"""
    fix_text = ("Add `networking.kyma-project.io/metrics-scraping: allowed` (or `istio-metrics: allowed`) to the "
                "scraper's pod labels: `spec.podMetadata.labels` of a Prometheus CR, the pod template otherwise.")
    tags = ("kyma-labels", "metrics")
    options = {
        "scrapers": RuleOption(
            default=[], check=check_scrapers,
            help="extra metrics scrapers, as pod selectors: a list of {namespace (optional), matchLabels}; "
                 "a workload they match must carry a metrics label"),
    }

    def check(self, ctx):
        yield from self._prometheus_crs(ctx)
        yield from self._configured_scrapers(ctx)

    # -- Prometheus-operator ----------------------------------------------------------
    def _prometheus_crs(self, ctx):
        model = ctx.model
        for prom in model.by_kind.get("Prometheus", ()):
            if prom.group != MONITORING_GROUP:
                continue
            labels = str_map(prom.get("spec", "podMetadata", "labels"))
            if carries_metrics_label(labels) or has_wrong_value(labels):
                continue
            monitors = list(_istio_monitors(model, prom))
            if not monitors:
                continue
            names = [f"{m.kind} {m.ns_name}" for m in monitors]
            yield self.finding(
                prom, _labels_node(prom),
                f"Prometheus {prom.ns_name} scrapes istio-system ({', '.join(names)}) but spec.podMetadata.labels "
                f"lacks {METRICS_SCRAPING}: allowed (or {ISTIO_METRICS}: allowed); the module's policies drop "
                f"its scrapes of the Istio metrics ports",
                related=[Related(m.locate("spec", "namespaceSelector") if "namespaceSelector" in m.spec
                                 else m.locate("metadata", "namespace"),
                                 f"{m.kind} {m.ns_name} targets istio-system") for m in monitors],
                node_hint=names,
            )

    # -- configured scrapers ----------------------------------------------------------
    def _configured_scrapers(self, ctx):
        scrapers = []
        for s in self.option(ctx, "scrapers"):
            if isinstance(s, dict):
                scrapers.append((s.get("namespace"), parse_selector({"matchLabels": s.get("matchLabels") or {}})))
        if not scrapers:
            return
        for w in ctx.model.workloads:
            if not any((ns is None or ns == w.namespace) and sel.matches(w.pod_labels) for ns, sel in scrapers):
                continue
            if carries_metrics_label(w.pod_labels) or has_wrong_value(w.pod_labels):
                continue
            yield self.finding(
                w, w.labels_location(),
                f"{w.kind} {w.ns_name} is a configured metrics scraper but its pod template lacks "
                f"{METRICS_SCRAPING}: allowed (or {ISTIO_METRICS}: allowed); the module's policies drop its "
                f"scrapes of the Istio metrics ports",
                node_hint="scraper",
            )


def _labels_node(prom):
    for path in (("spec", "podMetadata", "labels"), ("spec", "podMetadata"), ("spec",)):
        if prom.get(*path) is not None:
            return prom.locate(*path)
    return prom.locate("metadata", "name")


def _istio_monitors(model, prom):
    """ServiceMonitors/PodMonitors that ``prom`` selects and that target istio-system."""
    for kind, sel_field, ns_field in MONITOR_KINDS:
        raw_sel = prom.spec.get(sel_field)
        if raw_sel is None:
            continue                                  # null selector: no monitors of that kind
        sel = parse_selector(raw_sel)
        raw_ns = prom.spec.get(ns_field)
        ns_sel = None if raw_ns is None else parse_selector(raw_ns)
        for m in sorted(model.by_kind.get(kind, ()), key=lambda r: (r.namespace or "", r.name)):
            if m.group != MONITORING_GROUP or not sel.matches(m.labels):
                continue
            if ns_sel is None:
                if m.namespace != prom.namespace:     # null namespace selector: own namespace only
                    continue
            elif not ns_sel.matches(model.namespace_labels(m.namespace)):
                continue
            if "istio-system" in _monitor_target_namespaces(m):
                yield m


def _monitor_target_namespaces(m) -> set[str]:
    """Namespaces a monitor scrapes: explicit ``matchNames``, else its own.

    ``any: true`` counts as istio-system only when the monitor's selector picks an Istio
    component (gateway or istiod labels); a generic "every namespace" monitor of some app is
    not assumed to scrape Istio.
    """
    sel = m.spec.get("namespaceSelector")
    if isinstance(sel, dict):
        names = sel.get("matchNames")
        if isinstance(names, list) and names:
            return {n for n in names if isinstance(n, str)}
        if sel.get("any") is True:
            target = parse_selector(m.spec.get("selector"), null_matches_all=False)
            hit = any(target.matches(c.labels) for c in ISTIO_COMPONENTS)
            return {"istio-system"} if hit and not target.matches_all else set()
    return {m.namespace} if m.namespace else set()


RULE = MissingMetricsLabel
