"""May SRC open a connection to DST on PORT, and which policy decides?

Single probe (``--from --to --port [--protocol]``) or a batch (``--probes FILE|-``, a JSON
list of ``{"from", "to", "port", "protocol"}``).  ``--format json`` prints the CONTRACT.md
object (a list of them in batch mode, in probe order), each side with an ``explanation``
(batch: its first line only).  Text output says which policy, rule, peer and port admitted
the connection, or which policies isolate the endpoint and why none of their rules does.

Exit codes (CONTRACT.md): 0 allowed, 1 denied; with ``--expect allow|deny`` or an ``"expect"``
key per probe, 0 when every answer matches and 1 otherwise (a batch ends with a summary line).
In a batch, a probe that cannot be asked (an unknown endpoint) fails alone: it is reported and
counted, the others are answered, exit 1.  2 when nothing could be asked (bad options, input,
config or probe file; the single probe's unknown endpoint).  Endpoints: ``NAMESPACE/NAME``,
``ip:ADDRESS``, ``svc:NS/NAME`` (the Service's pods, ``--port`` the Service port) and, as the
destination, ``host:HOSTNAME`` (the ingress routes' backends for that host).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..options import Options
from ..analysis.reachability import EndpointError, Network, PortError, Verdict
from ..wording import count, plural


# -- shared with ``connectivity`` ------------------------------------------------------------
def add_network_arguments(parser: argparse.ArgumentParser) -> None:
    """Options both engine commands take."""
    parser.add_argument("--ipblock-pods", choices=("by-ip", "never"), default=None,
                        help="whether ipBlocks select pods by address (default: config, else by-ip)")
    parser.add_argument("--no-istio", action="store_true",
                        help="plain Kubernetes, only the input: no Istio components, no module policies, "
                             "no sidecar injection (no security.istio.io/tlsMode label added)")
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
        which = " that the module would reconcile" if session.model.istio_crs else ""
        return (f"note: no Istio CR in the input{which}; assuming the module's network policies are enabled "
                f"(--assume-network-policies disabled to analyse without them)")
    return None


def fail(message: str) -> int:
    print(f"netpol-lint: error: {message}", file=sys.stderr)
    return 2


# -- reach -----------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="src", metavar="SRC",
                        help="source: NAMESPACE/NAME, NAMESPACE/KIND/NAME, svc:NAMESPACE/NAME or ip:ADDRESS "
                             "(default with --to host:...: istio-system/istio-ingressgateway)")
    parser.add_argument("--to", dest="dst", metavar="DST",
                        help="destination: the same forms, or host:HOSTNAME (along the route serving it)")
    parser.add_argument("--port", help="destination port: a number, a container port name of DST, or with "
                                       "svc:... the Service port (translated to the target port)")
    parser.add_argument("--protocol", default="TCP", type=str.upper, choices=("TCP", "UDP", "SCTP"))
    parser.add_argument("--probes", metavar="FILE",
                        help="JSON list of {from, to, port, protocol, expect}; '-' for stdin")
    parser.add_argument("--expect", choices=("allow", "deny"),
                        help="exit 0 when every answer is this (per-probe 'expect' wins), else 1")
    parser.add_argument("--format", default="text", choices=("text", "json"))
    add_network_arguments(parser)


@dataclass
class Answer:
    """One probe's answer: the verdicts along it (several for a Service or host with several
    backends), or the reason it could not be asked."""

    number: int                       # 1-based
    probe: dict
    verdicts: list = field(default_factory=list)
    error: str | None = None

    @property
    def allowed(self) -> bool | None:
        return None if self.error else all(v.allowed for v in self.verdicts)

    @property
    def expect(self) -> str | None:
        e = self.probe.get("expect")
        return e if e in ("allow", "deny") else None

    @property
    def as_expected(self) -> bool | None:
        if self.expect is None:
            return None
        return self.error is None and self.allowed == (self.expect == "allow")

    def to_json(self, batch: bool) -> dict:
        p = self.probe
        if self.error:
            out = {"from": p.get("from"), "to": p.get("to"), "port": p.get("port"),
                   "protocol": p.get("protocol") or "TCP", "allowed": None, "error": self.error}
        else:
            first = next((v for v in self.verdicts if not v.allowed), self.verdicts[0])
            out = first.to_json(explain=True, brief=batch)
            out["allowed"] = self.allowed
            if len(self.verdicts) > 1 or str(p.get("to", "")).startswith(("svc:", "host:")) \
                    or str(p.get("from", "")).startswith("svc:"):
                out["via"] = [{"from": v.src.id, "to": v.dst.id, "port": v.port, "allowed": v.allowed}
                              for v in self.verdicts]
        if self.expect is not None:
            out["expect"] = self.expect
            out["as_expected"] = self.as_expected
        return out


def run(args: argparse.Namespace) -> int:
    try:
        probes = _probes(args)
        session, network = build_network(args)
    except UsageError as exc:
        return fail(str(exc))
    resolver = _Resolver(session, network)
    answers = []
    for i, p in enumerate(probes, 1):
        if args.expect and "expect" not in p:
            p = {**p, "expect": args.expect}
        try:
            answers.append(Answer(i, p, resolver.verdicts(p)))
        except UsageError as exc:
            if not args.probes:
                return fail(str(exc))
            answers.append(Answer(i, p, error=str(exc)))     # fails this probe only
    note = assumption_note(session, network)
    out = sys.stdout
    if args.format == "json":
        if args.probes:
            json.dump([a.to_json(batch=True) for a in answers], out, indent=1)
        else:
            json.dump(answers[0].to_json(batch=False), out, indent=1)
        out.write("\n")
    else:
        for a in answers:
            if args.probes:
                out.write(_one_line(a) + "\n")
            else:
                out.write("\n".join(v.explanation for v in a.verdicts) + "\n")
                if a.expect is not None:
                    out.write(f"expected: {a.expect}: {'yes' if a.as_expected else 'NO'}\n")
        if note:
            out.write(note + "\n")
    summary = _summary(answers) if args.probes else None
    if summary:
        print(summary, file=sys.stdout if args.format == "text" else sys.stderr)
    return _exit_code(answers)


def _exit_code(answers: list[Answer]) -> int:
    """0 allowed / 1 denied; with expectations, 0 when every answer matches; a probe that could
    not be asked (unknown endpoint) fails the run with 1."""
    if any(a.error for a in answers):
        return 1
    if any(a.expect is not None for a in answers):
        return 0 if all(a.as_expected is not False for a in answers) else 1
    return 0 if all(a.allowed for a in answers) else 1


def _summary(answers: list[Answer]) -> str:
    n = len(answers)
    allowed = sum(1 for a in answers if a.allowed)
    errors = sum(1 for a in answers if a.error)
    parts = [f"{allowed} allowed", f"{n - allowed - errors} denied"]
    if errors:
        parts.append(f"{errors} could not be asked")
    line = f"{count(n, 'probe')}: {', '.join(parts)}"
    expected = [a for a in answers if a.expect is not None]
    if expected:
        wrong = [a.number for a in expected if not a.as_expected]
        line += (f"; {len(expected) - len(wrong)} of {len(expected)} as expected"
                 + (f" (not: {plural(wrong, 'probe')} {', '.join(map(str, wrong))})" if wrong else ""))
    return line + "."


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
        for i, p in enumerate(data, 1):
            if not isinstance(p, dict) or not all(k in p for k in ("from", "to")) or (
                    "port" not in p and not str(p.get("to", "")).startswith("host:")):
                raise UsageError(f"{args.probes}: probe {i} must be an object with from, to, port (and protocol)")
            if "expect" in p and p["expect"] not in ("allow", "deny"):
                raise UsageError(f"{args.probes}: probe {i}: expect must be 'allow' or 'deny'")
        return data
    host = bool(args.dst) and args.dst.startswith("host:")
    missing = [opt for opt, v in (("--from", args.src or host), ("--to", args.dst), ("--port", args.port or host))
               if not v]
    if missing:
        raise UsageError(f"reach needs {', '.join(missing)} (or --probes FILE)")
    return [{"from": args.src or GATEWAY, "to": args.dst, "port": args.port, "protocol": args.protocol}]


GATEWAY = "istio-system/istio-ingressgateway"


class _Resolver:
    """Endpoints of a probe: workloads and addresses as the engine names them, plus
    ``svc:NS/NAME`` (the Service's pods, the Service port translated) and ``host:HOSTNAME``
    (the backends of the ingress routes serving that host, on their target ports)."""

    def __init__(self, session, network: Network):
        self.session, self.network = session, network
        self._routes = None

    def verdicts(self, p: dict) -> list[Verdict]:
        proto = p.get("protocol") or "TCP"
        src_text, dst_text, port = str(p.get("from") or GATEWAY), str(p["to"]), p.get("port")
        sources = self._sources(src_text)
        targets = self._targets(dst_text, port, proto)
        out = []
        for s in sources:
            for d, dport in targets:
                try:
                    out.append(self.network.allowed(s, d, dport, proto))
                except (EndpointError, PortError) as exc:
                    raise UsageError(str(exc)) from None
        return out

    def _sources(self, text: str) -> list:
        if text.startswith("svc:"):
            service = self._service(text[4:])
            return [w for w in self._selected(service)]
        return [self._endpoint(text, "from")]

    def _endpoint(self, text: str, role: str = "to"):
        try:
            return self.network.endpoint(text, role)
        except EndpointError as exc:
            raise UsageError(str(exc)) from None

    def _targets(self, text: str, port, proto: str) -> list[tuple]:
        if text.startswith("svc:"):
            service = self._service(text[4:])
            entries = [sp for _, sp in service.ports() if str(sp.get("protocol", "TCP")).upper() == proto.upper()
                       and (str(sp.get("port")) == str(port) or (sp.get("name") and sp.get("name") == port))]
            if not entries:
                raise UsageError(f"Service {service.ns_name} has no {proto} port {port}")
            out = []
            for w in self._selected(service):
                for sp in entries:
                    from ..analysis.routes import target_port
                    target = target_port(sp, w.container_ports)
                    if target is None:
                        raise UsageError(f"Service {service.ns_name} port {port}: targetPort "
                                         f"{sp.get('targetPort')!r} is not a port of {w.kind} {w.ns_name}")
                    out.append((w, target))
            return out
        if text.startswith("host:"):
            return self._host_targets(text[5:], port)
        return [(self._endpoint(text), port)]

    def _service(self, ref: str):
        ns, _, name = ref.partition("/")
        if not ns or not name:
            raise UsageError(f"'svc:{ref}': write svc:NAMESPACE/NAME")
        service = self.session.model.service(ns, name)
        if service is None:
            raise UsageError(f"no Service {ns}/{name} in the input")
        return service

    def _selected(self, service) -> list:
        selector = service.selector
        workloads = self.session.model.workloads_selected(service.namespace, selector) if selector else []
        if not workloads:
            raise UsageError(f"Service {service.ns_name} selects no workload in the input")
        return workloads

    def _host_targets(self, host: str, port) -> list[tuple]:
        if self._routes is None:
            from ..analysis.routes import trace_routes
            self._routes = trace_routes(self.session)
        out = []
        for route in self._routes.ingress_routes():
            if not _serves_host(route, host):
                continue
            for b in route.backends:
                if b.target_port is None or (port not in (None, "") and str(b.service_port) != str(port)):
                    continue
                if (b.workload, b.target_port) not in out:
                    out.append((b.workload, b.target_port))
        if not out:
            raise UsageError(f"no ingress route serves host {host}" + (f" on port {port}" if port else ""))
        return out


def _serves_host(route, host: str) -> bool:
    spec = route.source.data.get("spec") if isinstance(route.source.data, dict) else None
    if not isinstance(spec, dict):
        return False
    names = spec.get("hosts") if isinstance(spec.get("hosts"), list) else []
    if isinstance(spec.get("host"), str):
        names = [*names, spec["host"]]
    return any(isinstance(h, str) and (h == host or host.startswith(h + ".")) for h in names)


def _one_line(a: Answer) -> str:
    if a.error:
        return f"ERROR   probe {a.number}: {a.error}" + _expect_text(a)
    v = next((x for x in a.verdicts if not x.allowed), a.verdicts[0])
    word = "ALLOWED" if a.allowed else "DENIED "
    why = []
    for side in (v.egress, v.ingress):
        if side.isolated:
            why.append(f"{side.direction.lower()}: {side.summary}")
    reason = "; ".join(why) or "no policy isolates either side"
    return f"{word} {v.src.id} -> {v.dst.id} {v.protocol} {v.port}  ({reason}){_expect_text(a)}"


def _expect_text(a: Answer) -> str:
    if a.expect is None:
        return ""
    return f"  [expected {a.expect}: {'ok' if a.as_expected else 'NOT AS EXPECTED'}]"
