"""May SRC open a connection to DST on PORT, and which policy decides?

Single probe (``--from --to --port [--protocol]``) or a batch (``--probes FILE|-``, a JSON
list of ``{"from", "to", "port", "protocol"}``).  ``--format json`` prints the CONTRACT.md
object (a list of them in batch mode, in probe order), each side with an ``explanation``
(batch: its first line only).  Text output says which policy, rule, peer and port admitted
the connection, or which policies isolate the endpoint and why none of their rules does.

Exit codes: 0 when the question was answered (allowed or not), 2 when it could not be asked
(unknown endpoint, bad port, unreadable or malformed probe file, bad input paths/config).
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import UsageError
from ..options import Options
from ..analysis.reachability import EndpointError, Network, PortError, Verdict


# -- shared with ``connectivity`` ------------------------------------------------------------
def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """Options both engine commands take."""
    parser.add_argument("--ipblock-pods", choices=("by-ip", "never"), default=None,
                        help="whether ipBlocks select pods by address (default: config, else by-ip)")
    parser.add_argument("--no-istio", action="store_true",
                        help="analyse only the input: no Istio components, no module policies")
    parser.add_argument("--host-network", choices=("exempt", "enforced"), default="exempt",
                        help="pods with hostNetwork: outside policy enforcement (default, the common CNI "
                             "behaviour) or treated like other pods (netpol-analyzer's assumption)")


def build_network(args: argparse.Namespace) -> tuple[Any, Network]:
    """Session and network for the engine commands; raises UsageError for exit-2 problems."""
    from ..api import build_network as build
    from ..errors import NetpolLintError

    try:
        return build(Options.from_args(args))
    except UsageError:
        raise
    except (NetpolLintError, OSError) as exc:
        raise UsageError(str(exc)) from None


def assumption_note(session, network: Network) -> str | None:
    """RULES.md: say once when policies are assumed enabled for lack of an Istio CR."""
    kyma = getattr(session, "kyma", None)
    if network.world is not None and kyma is not None and kyma.assumed:
        return ("note: no Istio CR in the input; assuming the module's network policies are enabled "
                "(--assume-network-policies disabled to analyse without them)")
    return None


def fail(message: str) -> int:
    print(f"netpol-lint: error: {message}", file=sys.stderr)
    return 2


# -- reach -----------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="src", metavar="SRC", help="source: NAMESPACE/NAME, NAMESPACE/KIND/NAME or ip:ADDRESS")
    parser.add_argument("--to", dest="dst", metavar="DST", help="destination (same forms)")
    parser.add_argument("--port", help="destination port: a number, or a container port name of DST")
    parser.add_argument("--protocol", default="TCP", type=str.upper, choices=("TCP", "UDP", "SCTP"))
    parser.add_argument("--probes", metavar="FILE", help="JSON list of {from, to, port, protocol}; '-' for stdin")
    parser.add_argument("--format", default="text", choices=("text", "json"))
    add_network_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        probes = _probes(args)
        session, network = build_network(args)
        verdicts = [_probe(network, p, i if args.probes else None) for i, p in enumerate(probes)]
    except UsageError as exc:
        return fail(str(exc))
    note = assumption_note(session, network)
    out = sys.stdout
    if args.format == "json":
        if args.probes:
            json.dump([v.to_json(explain=True, brief=True) for v in verdicts], out, indent=1)
        else:
            json.dump(verdicts[0].to_json(), out, indent=1)
        out.write("\n")
    else:
        for v in verdicts:
            if args.probes:
                out.write(_one_line(v) + "\n")
            else:
                out.write(v.explanation + "\n")
        if note:
            out.write(note + "\n")
    return 0


def _probes(args: argparse.Namespace) -> list[dict]:
    if args.probes:
        if args.src or args.dst or args.port:
            raise UsageError("use either --probes or --from/--to/--port, not both")
        try:
            text = sys.stdin.read() if args.probes == "-" else open(args.probes, encoding="utf-8").read()
        except OSError as exc:
            raise UsageError(f"cannot read probe file {args.probes}: {exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{args.probes}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
        if not isinstance(data, list):
            raise UsageError(f"{args.probes}: expected a JSON list of probes")
        for i, p in enumerate(data):
            if not isinstance(p, dict) or not all(k in p for k in ("from", "to", "port")):
                raise UsageError(f"{args.probes}: probe {i} must be an object with from, to, port (and protocol)")
        return data
    missing = [opt for opt, v in (("--from", args.src), ("--to", args.dst), ("--port", args.port)) if not v]
    if missing:
        raise UsageError(f"reach needs {', '.join(missing)} (or --probes FILE)")
    return [{"from": args.src, "to": args.dst, "port": args.port, "protocol": args.protocol}]


def _probe(network: Network, p: dict, index: int | None) -> Verdict:
    where = f"probe {index}: " if index is not None else ""
    try:
        return network.allowed(p["from"], p["to"], p["port"], p.get("protocol") or "TCP")
    except (EndpointError, PortError) as exc:
        raise UsageError(where + str(exc)) from None


def _one_line(v: Verdict) -> str:
    word = "ALLOWED" if v.allowed else "DENIED "
    why = []
    for side in (v.egress, v.ingress):
        if side.isolated:
            why.append(f"{side.direction.lower()}: {side.summary}")
    reason = "; ".join(why) or "no policy isolates either side"
    return f"{word} {v.src.id} -> {v.dst.id} {v.protocol} {v.port}  ({reason})"
