"""Same input, byte-identical reports (issue 8, part 5; CONTRACT.md "byte-identical output").

Each variant runs in a fresh interpreter, so set and dict iteration orders that depend on
``PYTHONHASHSEED`` would show up as differences, and renders every output format from one
lint run.  Variants: hash seed, ``--jobs``, the order of PATH arguments, and a copy of the
tree whose files were created in reverse order (directory listing order differs).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import FIXTURES

pytestmark = pytest.mark.slow     # heavy: left out of `pytest -m "not slow"` (CI runs everything)

RENDER_ALL = r"""
import json, sys
from netpol_lint.cli import build_parser
from netpol_lint import api
from netpol_lint.options import Options
from netpol_lint.report import ReportInput, formats, renderer

args = build_parser().parse_args(["lint", *sys.argv[1:]])
run = api.run(Options.from_args(args))
result, session, registry = run.result, run.session, run.registry
out = {}
for fmt in formats():
    out[fmt] = renderer(fmt)(ReportInput(result, session, registry))
out["statistics"] = renderer("text")(ReportInput(result, session, registry, statistics=True))
json.dump(out, sys.stdout)
"""

# Together over the 2 MB above which --jobs really parses in worker processes.
CORPUS_PARTS = ("kubernetes-network-policy-recipes", "microservices-demo", "kyma-istio/config",
                "argocd-example-apps", "istio/manifests", "kyma-kyma-2.10.0/installation")


@pytest.fixture(scope="module")
def tree(tmp_path_factory, shared_dir):
    """Rule fixtures (every rule's bad input) plus real manifests, copied into one tree
    (skipped, like every test that needs them, when ../shared is not there)."""
    root = tmp_path_factory.mktemp("det")
    for d in sorted(FIXTURES.iterdir()):
        if (d / "bad").is_dir():
            shutil.copytree(d / "bad", root / "fixtures" / d.name)
    corpus = shared_dir / "corpus"
    for part in CORPUS_PARTS:
        if (corpus / part).is_dir():
            shutil.copytree(corpus / part, root / "corpus" / part, symlinks=True)
    return root


def render(cwd, *paths: str, seed: str = "0", jobs: str = "1") -> dict[str, str]:
    env = dict(os.environ, PYTHONHASHSEED=seed, NETPOL_LINT_DISABLE_PLUGIN_AUTOLOAD="1")
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, "-c", RENDER_ALL, *paths, "--select", "all", "--jobs", jobs],
                          cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def reference(tree):
    from netpol_lint.load import parallel

    size = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
    assert size > parallel.MIN_PARALLEL_BYTES, "too small for --jobs to use worker processes"
    out = render(tree, "fixtures", "corpus")
    assert json.loads(out["json"])["summary"]["findings"] > 100   # a meaningful amount of output
    assert {"text", "json", "sarif"} <= set(out)
    return out


def test_same_bytes_with_another_hash_seed(tree, reference):
    assert render(tree, "fixtures", "corpus", seed="4242") == reference


def test_same_bytes_with_parallel_jobs(tree, reference):
    assert render(tree, "fixtures", "corpus", seed="7", jobs="8") == reference


def test_same_bytes_whatever_the_order_of_paths(tree, reference):
    assert render(tree, "corpus", "fixtures", seed="99") == reference
    assert render(tree, "corpus/", "./fixtures", "corpus", seed="3") == reference


def test_same_bytes_whatever_the_directory_listing_order(tree, reference, tmp_path):
    """A copy whose files were created in reverse order lists them differently on most
    file systems; the report must not care."""
    copy = tmp_path / "copy"
    files = sorted(p for p in tree.rglob("*") if p.is_file() or p.is_symlink())
    for p in reversed(files):
        target = copy / p.relative_to(tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink():
            os.symlink(os.readlink(p), target)
        else:
            shutil.copyfile(p, target)
    assert render(copy, "fixtures", "corpus", seed="5") == reference
