"""Scale real manifests to N documents by cloning namespaces, keeping cross-references intact.

Input: the corpus of public manifests (``../shared/corpus``) plus the Kyma app set of
``examples/`` (Istio CR with policies on, APIRules, VirtualServices, ServiceEntries,
deny-by-default NetworkPolicies, labelled workloads), so that routes, policies and labels
-- the cross-resource work -- grow with the input, not just the parsing.

Clone ``i`` renames every namespace ``ns`` to ``ns-c<i>`` wherever a manifest refers to it:
``metadata.namespace``, Namespace names, ``kubernetes.io/metadata.name`` namespace
selectors, APIRule ``service.namespace``, ``ns/name`` gateway references, ``ns/host`` and
``svc.ns[.svc.cluster.local]`` hosts; APIRule hosts get the clone's suffix on their first
label (each team has its own host).  What a real repository holds once -- the system
namespaces' objects (istio-system, kyma-system, kube-system), cluster-scoped objects (CRDs,
ClusterRoles, ...), the Istio CR -- only clone 0 has; references to system namespaces are
kept, so every clone talks to the same gateways.  Clone 0 is the input itself
(re-serialised; comments are not kept).  Documents whose ``metadata.labels`` is not a
mapping (two markdown snippets of the corpus; the API server rejects them) are left out:
checkov 3.3 crashes on them (TypeError in its label-selector graph builder), and the 10k
input is also checkov's.

``--check`` lints the result and verifies that every full clone after the first yields the
same findings per rule (the clones are consistent, so work per clone is the same).

    python benchmarks/generate.py --docs 10000 --out /tmp/bench-10k [--check]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import pickle
import sys
from pathlib import Path

import yaml

from netpol_lint.model.resources import CLUSTER_SCOPED   # kinds that live in no namespace

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
DEFAULT_APPS = HERE.parent / "examples"
SYSTEM = {"istio-system", "kyma-system", "kube-system"}


class _Dumper(yaml.CSafeDumper):
    """Plain YAML without anchors (data shared inside a document is written out)."""

    def ignore_aliases(self, data):
        return True


def input_documents(*roots: Path) -> list[tuple[str, list[dict]]]:
    """(relative path, Kubernetes documents) of every readable manifest file under ``roots``.

    Files of the app set go under ``kyma-apps/``; corpus files keep their relative path.
    """
    out = []
    for root, prefix in zip(roots, ("", "kyma-apps/")):
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.endswith((".yaml", ".yml", ".json")):
                    continue
                path = Path(dirpath) / name
                try:
                    docs = [d for d in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader)
                            if isinstance(d, dict) and isinstance(d.get("kind"), str) and d.get("apiVersion")]
                except Exception:
                    continue  # broken files stay in the real corpus run, not in the clones
                if docs:
                    out.append((prefix + str(path.relative_to(root)), docs))
    return out


def namespaces_of(files) -> set[str]:
    """Every namespace the input names (for recognising them inside hosts)."""
    found = set()
    for _, docs in files:
        for d in docs:
            meta = d.get("metadata") if isinstance(d.get("metadata"), dict) else {}
            ns = meta.get("namespace") if d.get("kind") != "Namespace" else meta.get("name")
            if isinstance(ns, str) and ns:
                found.add(ns)
    return found - SYSTEM


class Cloner:
    """Rewrites documents into clone ``i``'s namespaces."""

    def __init__(self, namespaces: set[str]):
        self.namespaces = namespaces

    def ns(self, name: str, i: int) -> str:
        return name if i == 0 or name in SYSTEM else f"{name}-c{i}"

    def host(self, h: str, i: int) -> str:
        """``ns/host`` and ``svc.ns...`` forms name a namespace; other hosts are external."""
        if "/" in h:
            ns, rest = h.split("/", 1)
            return f"{self.ns(ns, i)}/{rest}" if ns in self.namespaces else h
        parts = h.split(".")
        if len(parts) >= 2 and parts[1] in self.namespaces and (len(parts) == 2 or parts[2] == "svc"):
            parts[1] = self.ns(parts[1], i)
        return ".".join(parts)

    def clone(self, doc: dict, i: int) -> dict | None:
        """A deep copy of ``doc`` in clone ``i`` (None: cluster-scoped, only in clone 0)."""
        kind = doc.get("kind")
        meta = doc.get("metadata")
        if isinstance(meta, dict) and not isinstance(meta.get("labels", {}), dict):
            return None      # rejected by the API server; crashes checkov's graph builder
        if i and kind in CLUSTER_SCOPED and kind != "Namespace":
            return None
        if i and kind == "Istio":
            return None      # one Istio CR per cluster
        d = pickle.loads(pickle.dumps(doc))
        if i == 0:
            return d
        meta = d.get("metadata")
        if not isinstance(meta, dict):
            meta = d["metadata"] = {}
        if kind == "Namespace":
            if isinstance(meta.get("name"), str):
                if meta["name"] in SYSTEM:
                    return None
                meta["name"] = self.ns(meta["name"], i)
                labels = meta.get("labels")
                if isinstance(labels, dict) and "kubernetes.io/metadata.name" in labels:
                    labels["kubernetes.io/metadata.name"] = meta["name"]
            return d
        ns = meta.get("namespace")
        if isinstance(ns, str) and ns in SYSTEM:
            return None      # the cluster's own namespaces exist once
        meta["namespace"] = self.ns(ns if isinstance(ns, str) and ns else "default", i)
        spec = d.get("spec")
        if isinstance(spec, dict):
            self._walk(spec, i, kind)
        return d

    def _walk(self, obj, i: int, kind) -> None:
        if isinstance(obj, dict):
            for k, v in list(obj.items()):
                if k == "kubernetes.io/metadata.name" and isinstance(v, str):
                    obj[k] = self.ns(v, i)
                elif k == "values" and obj.get("key") == "kubernetes.io/metadata.name" and isinstance(v, list):
                    obj[k] = [self.ns(x, i) if isinstance(x, str) else x for x in v]
                elif k in ("host", "gateway") and isinstance(v, str):
                    obj[k] = self.host(v, i)
                elif k in ("hosts", "gateways") and isinstance(v, list):
                    obj[k] = [self.host(x, i) if isinstance(x, str) else x for x in v]
                elif k == "namespace" and isinstance(v, str) and kind == "APIRule":
                    obj[k] = self.ns(v, i)
                else:
                    self._walk(v, i, kind)
            if kind == "APIRule":
                for key in ("host", "hosts"):
                    if key in obj:
                        obj[key] = self._team_hosts(obj[key], i)
        elif isinstance(obj, list):
            for x in obj:
                self._walk(x, i, kind)

    @staticmethod
    def _team_hosts(value, i: int):
        def one(h):
            if not isinstance(h, str) or h.count(".") < 2 or ".svc" in h:
                return h
            first, rest = h.split(".", 1)
            return f"{first}-c{i}.{rest}"
        return [one(h) for h in value] if isinstance(value, list) else one(value)


def generate(target_docs: int, out: Path, corpus: Path = DEFAULT_CORPUS, apps: Path = DEFAULT_APPS) -> tuple[int, int]:
    """Write clones until ``target_docs`` documents exist; returns (files, documents)."""
    files = input_documents(corpus, apps)
    if not files:
        raise SystemExit(f"no manifests under {corpus} or {apps}")
    cloner = Cloner(namespaces_of(files))
    written_docs = written_files = 0
    i = 0
    while written_docs < target_docs:
        before = written_docs
        for rel, docs in files:
            if written_docs >= target_docs:
                break
            cloned = [c for c in (cloner.clone(d, i) for d in docs) if c is not None]
            take = cloned[: target_docs - written_docs]
            if not take:
                continue
            dest = out / f"clone-{i:04d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(yaml.dump_all(take, Dumper=_Dumper, sort_keys=False, width=120))
            written_docs += len(take)
            written_files += 1
        if written_docs == before:
            raise SystemExit("nothing to clone")
        i += 1
    return written_files, written_docs


def check(out: Path) -> tuple[bool, str]:
    """Lint ``out``; True when every full clone after clone 0 has the same findings per rule."""
    import contextlib
    import io

    from netpol_lint.cli import main as lint_main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        lint_main([str(out), "--format", "json", "--select", "all", "--assume-network-policies", "enabled"])
    per_clone: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for f in json.loads(buf.getvalue())["findings"]:
        parts = Path(f["file"]).parts
        clone = next((p for p in parts if p.startswith("clone-")), "?")
        per_clone[clone][f["rule"]] += 1
    clones = sorted(per_clone)
    full = clones[1:-1]                   # clone 0 is the input itself; the last may be partial
    if not full:
        return True, f"{len(clones)} clone(s): nothing to compare"
    ref = per_clone[full[0]]
    odd = [c for c in full if per_clone[c] != ref]
    summary = ", ".join(f"{r}={n}" for r, n in sorted(ref.items()))
    if odd:
        return False, f"clones differ from {full[0]}: {odd[:5]} ({summary} vs {dict(per_clone[odd[0]])})"
    return True, f"{len(full)} full clones, identical findings per clone: {summary}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--apps", type=Path, default=DEFAULT_APPS, help="Kyma app set cloned with the corpus")
    ap.add_argument("--check", action="store_true", help="lint the result and compare the clones")
    args = ap.parse_args(argv)
    nfiles, ndocs = generate(args.docs, args.out, args.corpus, args.apps)
    print(f"wrote {ndocs} documents in {nfiles} files to {args.out}", file=sys.stderr)
    if args.check:
        ok, text = check(args.out)
        print(("consistent: " if ok else "INCONSISTENT: ") + text, file=sys.stderr)
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
