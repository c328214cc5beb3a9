"""Scale a corpus of real manifests to N documents by cloning its namespaces.

Clone ``i`` of the corpus renames every namespace ``ns`` to ``ns-c<i>`` wherever a manifest
refers to it (``metadata.namespace``, Namespace names, ``kubernetes.io/metadata.name``
selectors, APIRule service namespaces, VirtualService/Gateway hosts and refs), so policies,
routes and labels stay consistent and cross-resource work grows with the input.  Clone 0 is
the corpus itself.

    python benchmarks/generate.py --docs 10000 --out /tmp/bench-10k [--corpus ../shared/corpus]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"
SYSTEM = {"istio-system", "kyma-system", "kube-system"}


def corpus_documents(corpus: Path) -> list[tuple[str, list[dict]]]:
    """(relative path, Kubernetes documents) for every readable manifest file."""
    out = []
    for root, dirs, files in os.walk(corpus):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            path = Path(root) / name
            try:
                docs = [d for d in yaml.load_all(path.read_bytes(), Loader=yaml.CSafeLoader)
                        if isinstance(d, dict) and isinstance(d.get("kind"), str) and d.get("apiVersion")]
            except Exception:
                continue
            if docs:
                out.append((str(path.relative_to(corpus)), docs))
    return out


def _rename(ns: str, i: int) -> str:
    return ns if i == 0 or ns in SYSTEM else f"{ns}-c{i}"


def _walk_selectors(obj, i: int):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "kubernetes.io/metadata.name" and isinstance(v, str):
                obj[k] = _rename(v, i)
            elif k == "values" and obj.get("key") == "kubernetes.io/metadata.name" and isinstance(v, list):
                obj[k] = [_rename(x, i) if isinstance(x, str) else x for x in v]
            else:
                _walk_selectors(v, i)
    elif isinstance(obj, list):
        for x in obj:
            _walk_selectors(x, i)


def clone(doc: dict, i: int) -> dict:
    """A deep copy of ``doc`` living in clone ``i``'s namespaces."""
    d = yaml.load(yaml.dump(doc, Dumper=yaml.CSafeDumper), Loader=yaml.CSafeLoader)
    if i == 0:
        return d
    meta = d.setdefault("metadata", {}) if isinstance(d.get("metadata", {}), dict) else {}
    kind = d.get("kind")
    if kind == "Namespace" and isinstance(meta.get("name"), str):
        meta["name"] = _rename(meta["name"], i)
    elif kind not in ("ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Node", "PersistentVolume"):
        meta["namespace"] = _rename(meta.get("namespace") if isinstance(meta.get("namespace"), str) else "default", i)
    spec = d.get("spec")
    if isinstance(spec, dict):
        _walk_selectors(spec, i)
        svc = spec.get("service")
        if kind == "APIRule" and isinstance(svc, dict) and isinstance(svc.get("namespace"), str):
            svc["namespace"] = _rename(svc["namespace"], i)
    return d


def generate(target_docs: int, out: Path, corpus: Path = DEFAULT_CORPUS) -> tuple[int, int]:
    """Write clones until ``target_docs`` documents exist; returns (files, documents)."""
    files = corpus_documents(corpus)
    total = sum(len(d) for _, d in files)
    if total == 0:
        raise SystemExit(f"no manifests under {corpus}")
    written_docs = written_files = 0
    i = 0
    while written_docs < target_docs:
        for rel, docs in files:
            if written_docs >= target_docs:
                break
            take = docs[: target_docs - written_docs]
            dest = out / f"clone-{i:04d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(yaml.dump_all([clone(d, i) for d in take], Dumper=yaml.CSafeDumper, sort_keys=False))
            written_docs += len(take)
            written_files += 1
        i += 1
    return written_files, written_docs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = ap.parse_args(argv)
    nfiles, ndocs = generate(args.docs, args.out, args.corpus)
    print(f"wrote {ndocs} documents in {nfiles} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
