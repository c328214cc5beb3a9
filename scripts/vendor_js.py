#!/usr/bin/env python3
"""Vendor the connectivity explorer's JavaScript from the npm registry, pinned and checksummed.

    python scripts/vendor_js.py            # re-vendor into netpol_lint/data/vendor/ (writes VENDOR.json)
    python scripts/vendor_js.py --check    # fetch again with `npm pack` and compare with VENDOR.json
    python scripts/vendor_js.py --candidates DIR   # also the layouts we compared (benchmarks/explorer.py)

Each package is fetched with ``npm pack NAME@VERSION`` (the registry's tarball, whose
integrity npm checks), and only its browser build and licence are kept.  VENDOR.json records
name, version, licence, the tarball's integrity and the sha256 of every kept file; the test
suite checks the vendored files against it, so an edited file cannot ship unnoticed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "netpol_lint" / "data" / "vendor"

# name, version, SPDX licence, {file in the package: vendored name}, what it is for
PACKAGES = {
    "cytoscape": ("3.35.0", "MIT", {"dist/cytoscape.min.js": "cytoscape.min.js", "LICENSE": "cytoscape.LICENSE"},
                  "graph model, rendering, PNG export"),
    "layout-base": ("2.0.1", "MIT", {"layout-base.js": "layout-base.js", "LICENSE": "layout-base.LICENSE"},
                    "base of cose-base"),
    "cose-base": ("2.2.0", "MIT", {"cose-base.js": "cose-base.js", "LICENSE": "cose-base.LICENSE"},
                  "base of cytoscape-fcose"),
    "cytoscape-fcose": ("2.2.0", "MIT", {"cytoscape-fcose.js": "cytoscape-fcose.js", "LICENSE": "cytoscape-fcose.LICENSE"},
                        "the layout (compound nodes)"),
    # compared, not shipped (benchmarks/explorer.py, docs/performance.md)
    "cytoscape-dagre": ("4.0.1", "MIT", {"dist/cytoscape-dagre.min.js": "cytoscape-dagre.min.js",
                                         "LICENSE": "cytoscape-dagre.LICENSE"}, "candidate layout (bundles dagre)"),
    "cytoscape-elk": ("2.3.0", "MIT", {"dist/cytoscape-elk.js": "cytoscape-elk.js", "LICENSE": "cytoscape-elk.LICENSE"},
                      "candidate layout"),
    "elkjs": ("0.12.1", "EPL-2.0 OR GPL-3.0-or-later", {"lib/elk.bundled.js": "elk.bundled.js", "LICENSE.md": "elkjs.LICENSE"},
              "candidate layout engine of cytoscape-elk"),
}
SHIPPED = ("cytoscape", "layout-base", "cose-base", "cytoscape-fcose")     # in inlining order
CANDIDATES = {"fcose": ("layout-base", "cose-base", "cytoscape-fcose"),
              "dagre": ("cytoscape-dagre",),
              "elk": ("elkjs", "cytoscape-elk")}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(name: str, into: Path, work: Path) -> dict:
    """``npm pack`` one package and copy its kept files into ``into``; its manifest entry."""
    version, licence, files, purpose = PACKAGES[name]
    out = subprocess.run(["npm", "pack", f"{name}@{version}", "--json", "--pack-destination", str(work)],
                         cwd=work, capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)[0]
    with tarfile.open(work / info["filename"]) as tar:
        tar.extractall(work / name, filter="data")
    pkg = work / name / "package"
    declared = json.loads((pkg / "package.json").read_text())
    if declared.get("version") != version or declared.get("license") != licence:
        raise SystemExit(f"{name}: package.json says {declared.get('version')} {declared.get('license')}, "
                         f"expected {version} {licence}")
    kept = {}
    for src, dst in files.items():
        shutil.copyfile(pkg / src, into / dst)
        kept[dst] = sha256(into / dst)
    return {"name": name, "version": version, "license": licence, "purpose": purpose,
            "integrity": info.get("integrity"), "files": kept}


def vendor(names, into: Path) -> list[dict]:
    into.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        return [fetch(n, into, Path(tmp)) for n in names]


def manifest() -> list[dict]:
    return json.loads((VENDOR / "VENDOR.json").read_text())["packages"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fetch again and compare with VENDOR.json; write nothing")
    ap.add_argument("--candidates", metavar="DIR", help="vendor every compared layout into DIR (not package data)")
    args = ap.parse_args(argv)
    if args.candidates:
        vendor(["cytoscape"] + sorted({n for c in CANDIDATES.values() for n in c}), Path(args.candidates))
        return 0
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            fresh = vendor(SHIPPED, Path(tmp) / "v")
        bad = [f"{p['name']}: {f}" for p, q in zip(fresh, manifest(), strict=True)
               for f in p["files"] if p["files"][f] != q["files"].get(f)]
        print("\n".join(bad) or "vendored files match the npm registry")
        return 1 if bad else 0
    for old in VENDOR.glob("*"):
        old.unlink()
    entries = vendor(SHIPPED, VENDOR)
    (VENDOR / "VENDOR.json").write_text(json.dumps({
        "note": "Generated by scripts/vendor_js.py from the npm registry; do not edit the files by hand.",
        "packages": entries}, indent=1, sort_keys=True) + "\n")
    print(f"vendored {', '.join(e['name'] + '@' + e['version'] for e in entries)} into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
