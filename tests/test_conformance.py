"""Third-party NetworkPolicy expectations (shared/conformance) against the engine.

Every case directory is loaded like user input, the Istio world left out (these are plain
Kubernetes clusters), and each case's ``conventions`` honoured:

* ``ipblock_matches_pod_ips: false`` -> ``--ipblock-pods never`` (netpol-analyzer);
  ``true``/``null`` -> ``by-ip``.
* netpol-analyzer (a suite-wide convention the case files do not spell out) applies
  policies to ``hostNetwork`` pods like to any pod, one of the two behaviours the Kubernetes
  documentation allows; the engine's default is the other, more common one, so those cases
  run with ``--host-network enforced``.

Every probe of ``expected.json`` must match, and for netpol-analyzer cases the full
``connectivity --format json`` output of the real CLI must equal ``expected_connections.json``
(every listed pair with its exact port set, and no other pair).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from netpol_lint.analysis.reachability import Network
from netpol_lint.config import Config
from netpol_lint.model.session import Session

CONFORMANCE = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
if not CONFORMANCE.is_dir():
    pytest.skip(f"conformance suite not found at {CONFORMANCE}", allow_module_level=True)

CASES = sorted(p.parent for p in CONFORMANCE.glob("*/*/case.json"))
ANALYZER_CASES = [c for c in CASES if (c / "expected_connections.json").is_file()]

# Cases whose expectation contradicts Kubernetes semantics: {case name: one-line reason}.
# Empty: every case agrees with the engine.
DISPUTED: dict[str, str] = {}


def _case(case_dir: Path) -> dict:
    return json.loads((case_dir / "case.json").read_text())


def _options(case: dict) -> dict:
    conv = case.get("conventions") or {}
    return {"ipblock_pods": "never" if conv.get("ipblock_matches_pod_ips") is False else "by-ip",
            "host_network_enforced": case.get("suite") == "netpol-analyzer"}


def _network(case_dir: Path) -> tuple[dict, Network]:
    case = _case(case_dir)
    session = Session.load([str(case_dir / "manifests")], Config(), default_namespace="default")
    return case, Network.build(session, istio_world=False, **_options(case))


def _skip_disputed(case_dir: Path) -> None:
    if case_dir.name in DISPUTED:
        pytest.skip(DISPUTED[case_dir.name])


@pytest.mark.parametrize("case_dir", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_probes(case_dir: Path):
    _skip_disputed(case_dir)
    case, network = _network(case_dir)
    assert sorted(e.id for e in network.endpoints) == sorted(case["endpoints"]), "endpoint naming differs"
    probes = json.loads((case_dir / "expected.json").read_text())
    assert probes, "case without probes"
    wrong = []
    for p in probes:
        verdict = network.allowed(p["from"], p["to"], p["port"], p["protocol"])
        if verdict.allowed != p["allowed"]:
            wrong.append(f"{p} -> engine says {verdict.allowed}\n{verdict.explanation}")
    assert not wrong, f"{len(wrong)}/{len(probes)} probes differ:\n" + "\n".join(wrong[:5])


@pytest.mark.parametrize("case_dir", ANALYZER_CASES, ids=lambda p: p.name)
def test_connectivity_json_matches_netpol_analyzer(case_dir: Path, capsys, monkeypatch, tmp_path):
    _skip_disputed(case_dir)
    from netpol_lint.cli import main

    case = _case(case_dir)
    opts = _options(case)
    monkeypatch.chdir(tmp_path)          # no config file of the developer's checkout
    rc = main(["connectivity", str(case_dir / "manifests"), "--format", "json", "--no-istio",
               "--ipblock-pods", opts["ipblock_pods"],
               "--host-network", "enforced" if opts["host_network_enforced"] else "exempt"])
    out = capsys.readouterr().out
    assert rc == 0
    mine = {(c["from"], c["to"]): c["connections"] for c in json.loads(out)}
    expected = json.loads((case_dir / "expected_connections.json").read_text())
    theirs = {(c["from"], c["to"]): c["connections"] for c in expected["pairs"]}
    differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
    assert not differ, "\n".join(f"{k}: engine {mine.get(k)!r}, expected {theirs.get(k)!r}" for k in differ[:10])


def test_suite_is_complete():
    """The suite as documented: 101 netpol-analyzer and 15 cilium cases."""
    suites = {}
    for c in CASES:
        suites[c.parent.name] = suites.get(c.parent.name, 0) + 1
    assert suites.get("netpol-analyzer", 0) >= 100 and suites.get("cilium-k8s-unit", 0) >= 15
