"""Timings of the reachability engine.

    python benchmarks/bench_engine.py [--corpus DIR] [--workloads 5000] [--policies 1000] [--probes 100000]

1. ``connectivity`` over the shared corpus (every manifest in it loaded as one input, with
   the Istio world): load, build, all connections.
2. A generated cluster (default 5,000 workloads in 100 namespaces, 1,000 policies: per
   namespace a deny-all, DNS egress, ingress-gateway and monitoring allowances, and a chain
   of app-to-app rules): build, all connections, and single-probe throughput.

Prints one line per phase; nothing is asserted (CI runs the tests, not this).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netpol_lint.analysis.reachability import Network  # noqa: E402
from netpol_lint.config import Config  # noqa: E402
from netpol_lint.model.session import Session  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


class Clock:
    def __init__(self, title: str):
        self.title = title
        print(f"== {title}")

    def phase(self, name: str, fn, detail=lambda r: ""):
        t0 = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t0
        extra = detail(result)
        print(f"   {name:<28} {dt:8.3f} s   {extra}")
        return result


def bench_corpus(corpus: Path) -> None:
    if not corpus.is_dir():
        print(f"== corpus: {corpus} not found, skipped")
        return
    c = Clock(f"corpus {corpus}")
    session = c.phase("load", lambda: Session.load([str(corpus)], Config()),
                      lambda s: f"{len(s.files)} files, {len(s.model.workloads)} workloads, "
                                f"{len(s.model.network_policies)} policies")
    net = c.phase("build (Istio world)", lambda: Network.build(session),
                  lambda n: f"{len(n.endpoints)} endpoints, {len(n.policies)} policies")
    c.phase("connections", net.connections, lambda r: f"{len(r)} allowed pairs")


def generated_documents(workloads: int, policies: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    namespaces = max(1, workloads // 50)
    per_ns = workloads // namespaces
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}}]
    docs.append(_deployment("monitoring", "prometheus", {"app": "prometheus"}, 9090))
    budget = policies
    for n in range(namespaces):
        ns = f"team-{n:03d}"
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": {"istio-injection": "enabled", "tier": rnd.choice("abc")}}})
        for w in range(per_ns):
            labels = {"app": f"app-{w}", "tier": rnd.choice(("web", "api", "db"))}
            if w % 5 == 0:
                labels["networking.kyma-project.io/from-ingressgateway"] = "allowed"
            docs.append(_deployment(ns, f"app-{w}", labels, 8080))
        base = [
            {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}], "ports": [
                {"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}]},
            {"podSelector": {"matchLabels": {"networking.kyma-project.io/from-ingressgateway": "allowed"}},
             "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "istio-system"}},
                                    "podSelector": {"matchLabels": {"istio": "ingressgateway"}}}],
                          "ports": [{"port": "http"}]}]},
            {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {
                "kubernetes.io/metadata.name": "monitoring"}}}], "ports": [{"port": 9090}]}]},
        ]
        specs = base + [
            {"podSelector": {"matchLabels": {"app": f"app-{i + 1}"}}, "policyTypes": ["Ingress"],
             "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": f"app-{i}"}}}],
                          "ports": [{"port": 8080}, {"port": 8443, "endPort": 8450}]}]}
            for i in range(max(0, policies // namespaces - len(base)))]
        specs.append({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"podSelector": {}}]}]})
        for i, spec in enumerate(specs):
            if budget <= 0:
                break
            docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                         "metadata": {"name": f"p{i}", "namespace": ns}, "spec": spec})
            budget -= 1
    return docs


def _deployment(ns: str, name: str, labels: dict, port: int) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": {"containers": [
                {"name": "c", "ports": [{"name": "http", "containerPort": port}]}]}}}}


def bench_generated(workloads: int, policies: int, probes: int) -> None:
    c = Clock(f"generated: {workloads} workloads, {policies} policies")
    text = c.phase("generate YAML", lambda: yaml.safe_dump_all(generated_documents(workloads, policies)),
                   lambda t: f"{len(t) // 1024} KiB")
    session = c.phase("load", lambda: Session.load(["-"], Config(), stdin_text=text),
                      lambda s: f"{len(s.model.workloads)} workloads, {len(s.model.network_policies)} policies")
    net = c.phase("build (Istio world)", lambda: Network.build(session),
                  lambda n: f"{len(n.endpoints)} endpoints, {len(n.policies)} policies")
    c.phase("connections", net.connections, lambda r: f"{len(r)} allowed pairs")
    rnd = random.Random(1)
    ids = [e.id for e in net.endpoints]
    batch = [(rnd.choice(ids), rnd.choice(ids), rnd.choice((53, 80, 8080, 8443, 9090)), rnd.choice(("TCP", "UDP")))
             for _ in range(probes)]

    def run():
        return sum(net.allowed(*p).allowed for p in batch)

    c.phase(f"{probes} probes", run, lambda allowed: f"{allowed} allowed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--workloads", type=int, default=5000)
    ap.add_argument("--policies", type=int, default=1000)
    ap.add_argument("--probes", type=int, default=100_000)
    args = ap.parse_args()
    bench_corpus(args.corpus)
    bench_generated(args.workloads, args.policies, args.probes)


if __name__ == "__main__":
    main()
