"""Timings of connectivity expectations (issue 17): N expectations over the shared corpus.

    python benchmarks/bench_expectations.py [--corpus DIR] [--count 1000] [--jobs N]

1. load the corpus as one input (``Session.load``: reading and parsing, the "parse time");
2. generate ``--count`` expectations over what the corpus holds (deterministic; every endpoint
   form: workloads, svc:, ns:, selectors, host:, the Istio components, kube-dns, internet,
   ip:; both quantifiers and every ``when``), write them to a file and read it back with the
   project's loader;
3. evaluate them all, as NPL601/NPL602 do: the two networks (module policies on and off) are
   built once, then every expectation is answered from them.

Prints one line per phase and the number of ``Network.build`` calls (2, whatever the count:
nothing is rebuilt per expectation).  Nothing is asserted (the tests check behaviour).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from netpol_lint.analysis import expectations as analysis  # noqa: E402
from netpol_lint.analysis.reachability import Network  # noqa: E402
from netpol_lint.analysis.routes import trace_routes  # noqa: E402
from netpol_lint.config import Config  # noqa: E402
from netpol_lint.model.expectations import DNS_LABEL_RE, HOST_RE, read_expectations  # noqa: E402
from netpol_lint.model.session import Session  # noqa: E402

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def phase(name: str, fn, detail=lambda r: ""):
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    print(f"   {name:<34} {dt:8.3f} s   {detail(result)}")
    return result, dt


def generate(session, count: int, seed: int = 17) -> list[dict]:
    """``count`` expectations over the session's workloads, Services, namespaces and routes."""
    rnd = random.Random(seed)
    model = session.model
    workloads = sorted({f"{w.namespace}/{w.name}" for w in model.workloads
                        if DNS_LABEL_RE.match(w.namespace or "") and DNS_LABEL_RE.match(w.name or "")})
    services = sorted(f"{s.namespace}/{s.name}" for s in model.services
                      if DNS_LABEL_RE.match(s.namespace or "") and DNS_LABEL_RE.match(s.name or ""))
    namespaces = sorted({w.split("/")[0] for w in workloads})
    hosts = sorted({h for r in trace_routes(session).routes if r.via_ingress for h in analysis.route_hosts(r)
                    if HOST_RE.match(h) and not h.startswith("*")})
    keywords = ["ingress-gateway", "istiod", "kube-dns", "egress-gateway"]
    out = []
    for i in range(count):
        kind = i % 10
        exp: dict = {"name": f"generated {i}"}
        if kind in (0, 1, 2):                  # workload to workload on a port
            exp.update({"from": rnd.choice(workloads), "to": rnd.choice(workloads),
                        "ports": [rnd.choice([80, 443, 8080, 9090, "http"])]})
        elif kind == 3 and services:           # workload to a Service (translated ports)
            exp.update({"from": rnd.choice(workloads), "to": f"svc:{rnd.choice(services)}"})
        elif kind == 4:                        # namespace isolation
            exp.update({"from": f"ns:{rnd.choice(namespaces)}", "to": f"ns:{rnd.choice(namespaces)}"})
        elif kind == 5 and hosts:              # along a route
            exp.update({"to": f"host:{rnd.choice(hosts)}"})
        elif kind == 6:                        # a selector
            exp.update({"from": {"namespace": rnd.choice(namespaces), "matchLabels": {"app": rnd.choice(workloads).split("/")[1]}},
                        "to": rnd.choice(keywords), "ports": [rnd.choice([53, 15012, 8080])]})
        elif kind == 7:                        # outside the cluster
            exp.update({"from": f"ns:{rnd.choice(namespaces)}",
                        "to": rnd.choice(["internet", "ip:203.0.113.0/24", "ip:198.51.100.7"])})
        elif kind == 8:                        # Istio components and DNS
            exp.update({"from": f"ns:{rnd.choice(namespaces)}", "to": rnd.choice(keywords), "ports": [15012]})
        else:
            exp.update({"from": rnd.choice(keywords[:1] + [f"ns:{n}" for n in namespaces]),
                        "to": rnd.choice(workloads)})
        exp["allow"] = rnd.random() < 0.5
        exp["quantifier"] = rnd.choice(["every", "every", "some"])
        exp["when"] = rnd.choice(["always", "always", "policies-enabled", "policies-disabled"])
        if exp.get("to", "").startswith("host:"):
            exp.pop("from", None)
        out.append(exp)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=None, help="parsing processes (default: one per CPU)")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus {args.corpus} not found (--corpus DIR)")
        return 2
    print(f"== {args.count} expectations over {args.corpus}")
    session, parse = phase("load (parse)", lambda: Session.load([str(args.corpus)], Config(), jobs=args.jobs),
                           lambda s: f"{len(s.files)} files, {len(s.model.workloads)} workloads, "
                                     f"{len(s.model.network_policies)} policies")
    items = generate(session, args.count)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".netpol-lint-expect.yaml"
        path.write_text(yaml.safe_dump({"expectations": items}, sort_keys=False))
        exps, _ = phase("read the expectations file", lambda: read_expectations(str(path)),
                        lambda e: f"{len(e)} expectations")
    session.expectations = exps
    builds = []
    original = Network.build.__func__

    def counting_build(cls, *a, **kw):
        builds.append(1)
        return original(cls, *a, **kw)

    Network.build = classmethod(counting_build)
    try:
        ev = analysis.evaluator(session)
        _, nets = phase("build both networks", lambda: (ev.network(True), ev.network(False)),
                        lambda n: f"{len(n[0].endpoints)} endpoints, {len(n[0].policies)}/{len(n[1].policies)} policies")
        outcomes, evaluate = phase("evaluate", lambda: [ev.outcome(e) for e in exps],
                                   lambda o: f"{sum(x.holds for x in o)} hold, {sum(bool(x.failures) for x in o)} "
                                             f"violated, {sum(bool(x.empty) for x in o)} select nothing")
    finally:
        Network.build = classmethod(original)
    total = nets + evaluate
    print(f"   {'networks + evaluation':<34} {total:8.3f} s   {total / parse:.2f} x the parse time; "
          f"Network.build calls: {len(builds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
