"""Structural validation of the resources the linter reads, with the API server's rules.

Why this exists: every accessor of the model falls back to "absent" on wrong types, and the
reachability engine matches nothing for a malformed selector, port or ipBlock.  That keeps
the tool from crashing, but the user must still learn that the API server would reject the
object (or that kubectl cannot even send it).  ``problems(resource)`` lists each such
problem once, with the path of the offending node, so NPL003 can point at it and other code
can ask ``is_valid(resource)`` before trusting a resource's content.

The checks follow Kubernetes' validation code (``pkg/apis/networking/validation``,
``pkg/apis/core/validation``, ``apimachinery/pkg/util/validation``) for the fields the linter
reads, plus the JSON decoding step (a YAML boolean where a string is expected is rejected by
the decoder with "cannot unmarshal bool into ... of type string").  Semantics worth knowing:

* ``ipBlock.cidr`` is parsed like Go's ``net.ParseCIDR`` (``cidr.py``, the parser the
  engine uses too): host bits may be set (``10.0.0.1/24``), but IPv4 leading zeros
  (``010.0.0.0/8``) and surrounding blanks are rejected -- a CNI parsing the block with Go
  fails on them, and the engine could only match nothing; an ``except`` must be strictly
  inside the block (same family, longer prefix).
* A Service's ``targetPort`` of ``0`` or ``""`` is defaulted to ``port``, so it is valid.
* A ``null`` label value decodes to ``""`` and is valid; a ``null`` peer in ``from``/``to``
  decodes to an empty peer, which the API server rejects ("must specify a peer").
* Unknown fields are reported only in the small closed structures the linter interprets
  (NetworkPolicy spec, rules, peers, ports, ipBlocks, label selectors, Service and container
  ports): kubectl's default strict field validation rejects them, and a misspelt
  ``podselector`` silently changes what a policy means for tools that drop it.

The Istio CR's ``networkPoliciesEnabled`` belongs to NPL401 and is not checked here (one
cause, one finding).
"""
from __future__ import annotations

import difflib
import ipaddress
import json
import re
from typing import Any, Iterable, NamedTuple

import yaml

from .cidr import parse_address, parse_cidr  # noqa: F401 - parse_cidr is this module's API too
from .resources import (
    APIRule, Function, Gateway, IstioCR, Namespace, NetworkPolicy, Resource, Service, VirtualService, Workload,
)

MIN_PORT, MAX_PORT = 1, 65535
PROTOCOLS = ("TCP", "UDP", "SCTP")
POLICY_TYPES = ("Ingress", "Egress")
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

_LABEL_NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS1123_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PORT_NAME_CHARS_RE = re.compile(r"^[-a-z0-9]+$")


class Problem(NamedTuple):
    """One structural problem: where (inside the resource) and what.

    ``path`` is relative to the resource (``Resource.locate(*path)`` finds it); ``at_key``
    asks for the location of the mapping key rather than its value (unknown fields, bad
    label keys).
    """

    path: tuple
    message: str
    at_key: bool = False


# -- public entry points ---------------------------------------------------------------

def problems(resource: Resource, clean: dict | None = None) -> list[Problem]:
    """Every structural problem of ``resource`` (computed once per resource, then cached).

    ``clean`` (a dict made for one run, e.g. one per NPL003 check; see ``_clean_memo``) lets
    parts that are one object in several resources -- equal labels, annotations, selectors
    and container ports are shared by the loader (load/share.py) -- be checked once."""
    cached = getattr(resource, "_validation", None)
    if cached is None:
        cached = resource._validation = _validate(resource, clean)
    return list(cached)


def is_valid(resource: Resource) -> bool:
    """True when the API server would accept the fields of ``resource`` that the linter reads."""
    return not problems(resource)


def validated_kinds() -> tuple[type, ...]:
    """The resource classes NPL003 covers (everything else is not read, so not judged)."""
    return (Workload, NetworkPolicy, Service, Namespace, IstioCR, APIRule, Gateway, VirtualService)


def field_path(path: Iterable) -> str:
    """``spec.ingress[0].ports[1].port`` (label keys as ``labels["a/b"]``)."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        elif isinstance(step, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", step):
            out += ("." if out else "") + step
        else:
            out += f"[{json.dumps(str(step), ensure_ascii=False)}]"
    return out


# -- value checks (reusable; each returns a problem text or None) ------------------------

def type_name(value: Any) -> str:
    """YAML-ish name of a Python value's type, for messages."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if value is None:
        return "null"
    return type(value).__name__


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_dns1123_label(value: str) -> bool:
    """A DNS-1123 label (Service and port names): 1-63 lowercase alphanumerics or '-', no edge '-'."""
    return 0 < len(value) <= 63 and bool(_DNS1123_LABEL_RE.match(value))


def port_number_problem(value: int) -> str | None:
    if not MIN_PORT <= value <= MAX_PORT:
        return f"must be between {MIN_PORT} and {MAX_PORT}, inclusive (got {value})"
    return None


def port_name_problem(name: str) -> str | None:
    """IANA_SVC_NAME (Kubernetes ``IsValidPortName``): None when valid, else every reason."""
    reasons = []
    if len(name) > 15:
        reasons.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS_RE.match(name):
        reasons.append("must contain only lowercase alphanumerics (a-z, 0-9) and '-'")
    if not re.search(r"[a-z]", name):
        reasons.append("must contain at least one letter (a-z)")
    if "--" in name:
        reasons.append("must not contain consecutive hyphens")
    if name.startswith("-") or name.endswith("-"):
        reasons.append("must not begin or end with a hyphen")
    if not reasons:
        return None
    hint = f" (a quoted number is a port *name*; write {name} without quotes)" if name.isdigit() else ""
    return f"{name!r} is not a valid port name (IANA_SVC_NAME): " + "; ".join(reasons) + hint


def label_key_problem(key: str) -> str | None:
    """Kubernetes qualified name: ``[prefix/]name``, prefix a DNS subdomain, name <= 63."""
    parts = key.split("/")
    if len(parts) > 2:
        return f"label key {key!r} must be an optional DNS-subdomain prefix, '/', and a name"
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            return f"label key {key!r} has an empty prefix before '/'"
        if len(prefix) > 253 or not _DNS1123_SUBDOMAIN_RE.match(prefix):
            return (f"label key {key!r}: prefix {prefix!r} must be a lowercase DNS subdomain "
                    f"(at most 253 characters)")
    if not name:
        return f"label key {key!r} has an empty name"
    if len(name) > 63:
        return f"label key {key!r}: name part must be no more than 63 characters"
    if not _LABEL_NAME_RE.match(name):
        return (f"label key {key!r}: name part must consist of alphanumerics, '-', '_' or '.', and start "
                f"and end with an alphanumeric")
    return None


def label_value_problem(value: str) -> str | None:
    if len(value) > 63:
        return f"label value {value!r} must be no more than 63 characters"
    if not _LABEL_VALUE_RE.match(value):
        return (f"label value {value!r} must be empty or consist of alphanumerics, '-', '_' or '.', and "
                f"start and end with an alphanumeric")
    return None


def parse_ip(text: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An IP address as Go parses it (``cidr.parse_address``), else None."""
    return parse_address(text)


# -- the collector ---------------------------------------------------------------------

class _Checker:
    """Collects problems for one resource; helpers take the path of the node they check."""

    def __init__(self, resource: Resource, clean: dict | None = None):
        self.r = resource
        self.out: list[Problem] = []
        self.clean = clean              # see _clean_memo

    def add(self, path: tuple, message: str, at_key: bool = False) -> None:
        self.out.append(Problem(tuple(path), f"{field_path(path)}: {message}", at_key))

    # typed access: report a wrong type and return None, so callers just skip the node
    def mapping(self, value: Any, path: tuple) -> dict | None:
        if value is None or isinstance(value, dict):
            return value
        self.add(path, f"must be a mapping, got {self._shown(value, path)}")
        return None

    def sequence(self, value: Any, path: tuple) -> list | None:
        if value is None or isinstance(value, list):
            return value
        self.add(path, f"must be a list, got {self._shown(value, path)}")
        return None

    def string(self, value: Any, path: tuple, what: str = "must be a string") -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.add(path, f"{what}, got {self._shown(value, path, want_string=True)}")
        return None

    def boolean(self, value: Any, path: tuple) -> None:
        if value is not None and not isinstance(value, bool):
            self.add(path, f"must be a boolean (true or false), got {self._shown(value, path)}")

    def port(self, value: Any, path: tuple, required: bool = False) -> int | None:
        """An integer port 1-65535 (``required``: absence is a problem at the parent)."""
        if value is None:
            if required:
                self.add(path[:-1], f"{path[-1]} is required")
            return None
        if not is_int(value):
            self.add(path, f"must be an integer port number, got {self._shown(value, path)}")
            return None
        problem = port_number_problem(value)
        if problem:
            self.add(path, problem)
            return None
        return value

    def int_or_port_name(self, value: Any, path: tuple) -> None:
        """IntOrString port: a number 1-65535 or an IANA_SVC_NAME."""
        if is_int(value):
            problem = port_number_problem(value)
        elif isinstance(value, str):
            problem = port_name_problem(value)
        else:
            problem = f"must be a port number or a port name, got {self._shown(value, path)}"
        if problem:
            self.add(path, problem)

    def protocol(self, value: Any, path: tuple) -> None:
        if value is None:
            return
        if not isinstance(value, str) or value not in PROTOCOLS:
            self.add(path, f"protocol must be one of TCP, UDP, SCTP (case-sensitive), got {self._shown(value, path)}")

    def known_keys(self, mapping: dict, allowed: Iterable[str], path: tuple) -> None:
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                hint = _closest(key, allowed)
                self.add(path + (key,), f"unknown field {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
                         + f"; allowed here: {', '.join(allowed)}", at_key=True)

    def _shown(self, value: Any, path: tuple, want_string: bool = False) -> str:
        """``integer 8080``; where a string is wanted, also why YAML produced something else."""
        tname = type_name(value)
        if isinstance(value, (dict, list)):
            return tname
        rendered = _render(value)
        source = self._plain_scalar(path) if want_string and isinstance(value, (bool, int, float)) else None
        if source is not None and source != rendered:
            return f"{tname} {rendered} (YAML 1.1 reads the unquoted {source!r} as a {tname}; quote it)"
        if source is not None:
            return f"{tname} {rendered} (quote it)"
        return f"{tname} {rendered}"

    def _plain_scalar(self, path: tuple) -> str | None:
        node = self.r.doc.node_at(self.r.base + tuple(path))
        if isinstance(node, yaml.ScalarNode) and node.style is None:
            return node.value
        return None


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    return str(value)


def _closest(key: Any, allowed: tuple) -> str | None:
    if not isinstance(key, str):
        return None
    low = {a.lower(): a for a in allowed}
    if key.lower() in low:
        return low[key.lower()]
    hit = difflib.get_close_matches(key, allowed, n=1, cutoff=0.75)
    return hit[0] if hit else None


# -- shared structures -----------------------------------------------------------------

def _clean_memo(check):
    """Skip ``check(c, value, path, ...)`` for a mapping or list it already found clean in this
    run (``_Checker.clean``: (check, id) -> the object, kept so that its id stays its own).

    Why: the loader makes equal parts of documents one object (load/share.py), and the same
    labels, annotations, selectors and container ports recur across a repository (on the
    50k-document benchmark most of them are shared by eleven clones), so NPL003 checked the
    same objects tens of thousands of times: 0.29 s of CPU, the largest rule.  Only checks
    whose problems depend on the value alone are wrapped (the path and the wording only
    shape the messages of problems, and a value with problems is checked again each time, so
    every message is the one it was).  Without a memo (``problems(r)`` alone) nothing changes.
    """
    def checked(c: "_Checker", value: Any, path: tuple, *args: Any) -> None:
        memo = c.clean
        if memo is None or not value or value.__class__ not in (dict, list):
            check(c, value, path, *args)
            return
        key = (check, id(value))
        if memo.get(key) is value:
            return
        before = len(c.out)
        check(c, value, path, *args)
        if len(c.out) == before:
            memo[key] = value

    checked.__name__, checked.__doc__, checked.__wrapped__ = check.__name__, check.__doc__, check  # type: ignore[attr-defined]
    return checked


@_clean_memo
def _labels(c: _Checker, value: Any, path: tuple, what: str = "label") -> None:
    """A ``map[string]string`` of labels (also Service/Gateway selectors, matchLabels)."""
    labels = c.mapping(value, path)
    for key, v in (labels or {}).items():
        if not isinstance(key, str):
            c.add(path + (key,), f"{what} key must be a string, got {type_name(key)}", at_key=True)
            continue
        problem = label_key_problem(key)
        if problem:
            c.add(path + (key,), problem.replace("label key", f"{what} key"), at_key=True)
        if v is None:
            continue  # decodes to "" (valid)
        if not isinstance(v, str):
            c.add(path + (key,), f"{what} value must be a string, got {c._shown(v, path + (key,), True)}")
            continue
        problem = label_value_problem(v)
        if problem:
            c.add(path + (key,), problem.replace("label value", f"{what} value"))


@_clean_memo
def _annotations(c: _Checker, value: Any, path: tuple) -> None:
    annotations = c.mapping(value, path)
    for key, v in (annotations or {}).items():
        if not isinstance(key, str):
            c.add(path + (key,), f"annotation key must be a string, got {type_name(key)}", at_key=True)
            continue
        problem = label_key_problem(key.lower())
        if problem:
            c.add(path + (key,), problem.replace("label key", "annotation key"), at_key=True)
        if v is not None and not isinstance(v, str):
            c.add(path + (key,), f"annotation value must be a string, got {c._shown(v, path + (key,), True)}")


def _metadata(c: _Checker, data: Any, path: tuple) -> None:
    meta = c.mapping(data.get("metadata") if isinstance(data, dict) else None, path + ("metadata",))
    if not meta:
        return
    for f in ("name", "namespace"):
        c.string(meta.get(f), path + ("metadata", f))
    _labels(c, meta.get("labels"), path + ("metadata", "labels"))
    _annotations(c, meta.get("annotations"), path + ("metadata", "annotations"))


@_clean_memo
def _label_selector(c: _Checker, raw: Any, path: tuple) -> None:
    """``metav1.LabelSelector`` (``ValidateLabelSelector``)."""
    sel = c.mapping(raw, path)
    if sel is None:
        return
    c.known_keys(sel, ("matchLabels", "matchExpressions"), path)
    _labels(c, sel.get("matchLabels"), path + ("matchLabels",), "matchLabels")
    exprs = c.sequence(sel.get("matchExpressions"), path + ("matchExpressions",))
    for i, e in enumerate(exprs or ()):
        epath = path + ("matchExpressions", i)
        expr = c.mapping(e, epath)
        if expr is None:
            if e is None:
                c.add(epath, "a matchExpressions entry needs key and operator")
            continue
        c.known_keys(expr, ("key", "operator", "values"), epath)
        key = expr.get("key")
        if key is None:
            c.add(epath, "key is required")
        elif c.string(key, epath + ("key",)) is not None:
            problem = label_key_problem(key)
            if problem:
                c.add(epath + ("key",), problem)
        op = expr.get("operator")
        values = expr.get("values")
        if op is None:
            c.add(epath, "operator is required (In, NotIn, Exists or DoesNotExist)")
        elif op not in SELECTOR_OPERATORS:
            c.add(epath + ("operator",), f"{_render(op)} is not a valid selector operator "
                  f"(In, NotIn, Exists, DoesNotExist; case-sensitive)")
        vals = c.sequence(values, epath + ("values",))
        if op in ("In", "NotIn") and not vals:
            c.add(epath + ("values",) if "values" in expr else epath,
                  f"values must be a non-empty list when operator is {op}")
        elif op in ("Exists", "DoesNotExist") and vals:
            c.add(epath + ("values",), f"values must be empty when operator is {op}")
        for j, v in enumerate(vals or ()):
            if c.string(v, epath + ("values", j), "selector value must be a string") is not None:
                problem = label_value_problem(v)
                if problem:
                    c.add(epath + ("values", j), problem)


# -- NetworkPolicy ---------------------------------------------------------------------

def _network_policy(c: _Checker, r: NetworkPolicy) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    c.known_keys(spec, ("podSelector", "ingress", "egress", "policyTypes"), ("spec",))
    _label_selector(c, spec.get("podSelector"), ("spec", "podSelector"))
    types = c.sequence(spec.get("policyTypes"), ("spec", "policyTypes"))
    if types is not None:
        if len(types) > 2:
            c.add(("spec", "policyTypes"), f"may not list more than two policyTypes (got {len(types)})")
        for i, t in enumerate(types):
            if t not in POLICY_TYPES:
                c.add(("spec", "policyTypes", i),
                      f"policyTypes entries must be Ingress or Egress (case-sensitive), got {c._shown(t, ('spec', 'policyTypes', i))}")
    for direction, peer_field in (("ingress", "from"), ("egress", "to")):
        rules = c.sequence(spec.get(direction), ("spec", direction))
        for i, rule in enumerate(rules or ()):
            rpath = ("spec", direction, i)
            rule = c.mapping(rule, rpath)
            if not rule:
                continue  # null / {}: the rule that admits everything
            c.known_keys(rule, (peer_field, "ports"), rpath)
            for j, port in enumerate(c.sequence(rule.get("ports"), rpath + ("ports",)) or ()):
                network_policy_port(c, port, rpath + ("ports", j))
            for j, peer in enumerate(c.sequence(rule.get(peer_field), rpath + (peer_field,)) or ()):
                network_policy_peer(c, peer, rpath + (peer_field, j))


def network_policy_port(c: _Checker, raw: Any, path: tuple) -> None:
    """``ValidateNetworkPolicyPort``: protocol, port (number or name) and endPort."""
    port = c.mapping(raw, path)
    if not port:
        return
    c.known_keys(port, ("protocol", "port", "endPort"), path)
    c.protocol(port.get("protocol"), path + ("protocol",))
    value, end = port.get("port"), port.get("endPort")
    if value is not None:
        c.int_or_port_name(value, path + ("port",))
    if end is None:
        return
    if not is_int(end):
        c.add(path + ("endPort",), f"must be an integer port number, got {c._shown(end, path + ('endPort',))}")
        return
    if value is None:
        c.add(path + ("endPort",), "endPort may not be set without a numeric port")
    elif not is_int(value):
        c.add(path + ("endPort",), f"endPort may not be set when port is a name ({_render(value)}); use a number")
    elif problem := port_number_problem(end):
        c.add(path + ("endPort",), problem)
    elif end < value:
        c.add(path + ("endPort",), f"endPort {end} must be greater than or equal to port {value}")


def network_policy_peer(c: _Checker, raw: Any, path: tuple) -> None:
    """``ValidateNetworkPolicyPeer``: one of the selectors, or an ipBlock alone."""
    if raw is None:
        c.add(path, "empty peer: must specify a podSelector, namespaceSelector or ipBlock")
        return
    peer = c.mapping(raw, path)
    if peer is None:
        return
    c.known_keys(peer, ("podSelector", "namespaceSelector", "ipBlock"), path)
    present = [k for k in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(k) is not None]
    if not present:
        c.add(path, "empty peer: must specify a podSelector, namespaceSelector or ipBlock")
    elif "ipBlock" in present and len(present) > 1:
        c.add(path, f"ipBlock may not be combined with {' or '.join(k for k in present if k != 'ipBlock')} "
              f"in one peer (write them as separate list items)")
    for k in ("podSelector", "namespaceSelector"):
        if peer.get(k) is not None:
            _label_selector(c, peer[k], path + (k,))
    if peer.get("ipBlock") is not None:
        ip_block(c, peer["ipBlock"], path + ("ipBlock",))


def ip_block(c: _Checker, raw: Any, path: tuple) -> None:
    """``ValidateIPBlock``: a CIDR, and excepts strictly inside it."""
    block = c.mapping(raw, path)
    if block is None:
        return
    c.known_keys(block, ("cidr", "except"), path)
    cidr = block.get("cidr")
    net = None
    if cidr is None or cidr == "":
        c.add(path + ("cidr",) if "cidr" in block else path, "cidr is required")
    elif c.string(cidr, path + ("cidr",)) is not None:
        net = parse_cidr(cidr)
        if net is None:
            c.add(path + ("cidr",), f"{cidr!r} is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)")
    for i, e in enumerate(c.sequence(block.get("except"), path + ("except",)) or ()):
        epath = path + ("except", i)
        if c.string(e, epath) is None:
            if e is None:
                c.add(epath, "except entries must be CIDRs, got null")
            continue
        enet = parse_cidr(e)
        if enet is None:
            c.add(epath, f"{e!r} is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)")
        elif net is not None and not (enet.version == net.version and enet.network_address in net
                                      and enet.prefixlen > net.prefixlen):
            c.add(epath, f"except {e!r} must be a strict subset of cidr {cidr!r}")


# -- workloads -------------------------------------------------------------------------

def _workload(c: _Checker, r: Workload) -> None:
    if isinstance(r, Function):   # its pods' labels and annotations: spec.labels / spec.annotations
        spec = c.mapping(r.data.get("spec"), ("spec",))
        if spec:
            _labels(c, spec.get("labels"), ("spec", "labels"))
            _annotations(c, spec.get("annotations"), ("spec", "annotations"))
        return
    path: tuple = ()
    node: Any = r.data
    for step in r.template_path:  # spec / template / jobTemplate ... must be mappings
        node = c.mapping(node.get(step), path + (step,))
        path += (step,)
        if node is None:
            return
    if r.template_path:
        _metadata(c, node, path)
    if r.kind == "Pod":
        _pod_ips(c, r.data.get("status"))
    pod_spec = c.mapping(node.get("spec"), path + ("spec",))
    if not pod_spec:
        return
    spath = path + ("spec",)
    c.boolean(pod_spec.get("hostNetwork"), spath + ("hostNetwork",))
    for group in ("containers", "initContainers"):
        for i, container in enumerate(c.sequence(pod_spec.get(group), spath + (group,)) or ()):
            cpath = spath + (group, i)
            container = c.mapping(container, cpath)
            if container:
                _container_ports(c, container.get("ports"), cpath + ("ports",))


@_clean_memo
def _container_ports(c: _Checker, raw: Any, path: tuple) -> None:
    names: set[str] = set()
    for i, p in enumerate(c.sequence(raw, path) or ()):
        ppath = path + (i,)
        port = c.mapping(p, ppath)
        if port is None:
            continue
        c.known_keys(port, ("name", "containerPort", "protocol", "hostPort", "hostIP"), ppath)
        c.port(port.get("containerPort"), ppath + ("containerPort",), required=True)
        c.protocol(port.get("protocol"), ppath + ("protocol",))
        name = c.string(port.get("name"), ppath + ("name",))
        if name:
            problem = port_name_problem(name)
            if problem:
                c.add(ppath + ("name",), problem)
            elif name in names:
                c.add(ppath + ("name",), f"port name {name!r} is used twice in this container")
            names.add(name)


def _pod_ips(c: _Checker, status: Any) -> None:
    if not isinstance(status, dict):
        return
    ip = status.get("podIP")
    if c.string(ip, ("status", "podIP")) and parse_ip(ip) is None:
        c.add(("status", "podIP"), f"{ip!r} is not a valid IP address")
    for i, entry in enumerate(c.sequence(status.get("podIPs"), ("status", "podIPs")) or ()):
        entry = c.mapping(entry, ("status", "podIPs", i))
        if not entry:
            continue
        ip = entry.get("ip")
        if c.string(ip, ("status", "podIPs", i, "ip")) and parse_ip(ip) is None:
            c.add(("status", "podIPs", i, "ip"), f"{ip!r} is not a valid IP address")


# -- Service ---------------------------------------------------------------------------

def _service(c: _Checker, r: Service) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    _labels(c, spec.get("selector"), ("spec", "selector"), "selector")
    ports = c.sequence(spec.get("ports"), ("spec", "ports")) or []
    names: set[str] = set()
    seen: set[tuple] = set()
    for i, p in enumerate(ports):
        ppath = ("spec", "ports", i)
        port = c.mapping(p, ppath)
        if port is None:
            continue
        c.known_keys(port, ("name", "protocol", "appProtocol", "port", "targetPort", "nodePort"), ppath)
        number = c.port(port.get("port"), ppath + ("port",), required=True)
        c.protocol(port.get("protocol"), ppath + ("protocol",))
        target = port.get("targetPort")
        if target is not None and target != 0 and target != "":  # 0 / "" default to port
            c.int_or_port_name(target, ppath + ("targetPort",))
        name = c.string(port.get("name"), ppath + ("name",))
        if name:
            if not is_dns1123_label(name):
                c.add(ppath + ("name",), f"{name!r} is not a valid Service port name (lowercase DNS label: "
                      f"alphanumerics and '-', at most 63 characters)")
            elif name in names:
                c.add(ppath + ("name",), f"port name {name!r} is used twice in this Service")
            names.add(name)
        elif len(ports) > 1 and port.get("name") in (None, ""):
            c.add(ppath, "name is required when a Service has more than one port")
        proto = port.get("protocol") or "TCP"
        if number is not None and isinstance(proto, str):
            if (number, proto) in seen:
                c.add(ppath + ("port",), f"port {number}/{proto} is listed twice in this Service")
            seen.add((number, proto))


# -- Kyma and Istio custom resources ---------------------------------------------------

def _service_ref(c: _Checker, raw: Any, path: tuple) -> None:
    ref = c.mapping(raw, path)
    if ref is None:
        return
    c.string(ref.get("name"), path + ("name",))
    c.string(ref.get("namespace"), path + ("namespace",))
    c.port(ref.get("port"), path + ("port",))


def _apirule(c: _Checker, r: APIRule) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    c.string(spec.get("gateway"), ("spec", "gateway"))
    c.string(spec.get("host"), ("spec", "host"))
    for i, h in enumerate(c.sequence(spec.get("hosts"), ("spec", "hosts")) or ()):
        c.string(h, ("spec", "hosts", i))
    _service_ref(c, spec.get("service"), ("spec", "service"))
    for i, rule in enumerate(c.sequence(spec.get("rules"), ("spec", "rules")) or ()):
        rule = c.mapping(rule, ("spec", "rules", i))
        if rule:
            _service_ref(c, rule.get("service"), ("spec", "rules", i, "service"))


def _virtual_service(c: _Checker, r: VirtualService) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    for f in ("hosts", "gateways", "exportTo"):
        for i, v in enumerate(c.sequence(spec.get(f), ("spec", f)) or ()):
            c.string(v, ("spec", f, i))
    for section in ("http", "tcp", "tls"):
        for i, entry in enumerate(c.sequence(spec.get(section), ("spec", section)) or ()):
            epath = ("spec", section, i)
            entry = c.mapping(entry, epath)
            if not entry:
                continue
            for j, m in enumerate(c.sequence(entry.get("match"), epath + ("match",)) or ()):
                m = c.mapping(m, epath + ("match", j))
                for k, g in enumerate(c.sequence((m or {}).get("gateways"), epath + ("match", j, "gateways")) or ()):
                    c.string(g, epath + ("match", j, "gateways", k))
            for j, route in enumerate(c.sequence(entry.get("route"), epath + ("route",)) or ()):
                rpath = epath + ("route", j)
                route = c.mapping(route, rpath)
                dest = c.mapping((route or {}).get("destination"), rpath + ("destination",))
                if dest is None:
                    continue
                c.string(dest.get("host"), rpath + ("destination", "host"))
                port = c.mapping(dest.get("port"), rpath + ("destination", "port"))
                if port is not None:
                    c.port(port.get("number"), rpath + ("destination", "port", "number"))


def _gateway(c: _Checker, r: Gateway) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    selector = c.mapping(spec.get("selector"), ("spec", "selector"))
    for key, v in (selector or {}).items():
        if v is not None and not isinstance(v, str):
            c.add(("spec", "selector", key), f"selector value must be a string, got {c._shown(v, ('spec', 'selector', key), True)}")
    for i, server in enumerate(c.sequence(spec.get("servers"), ("spec", "servers")) or ()):
        server = c.mapping(server, ("spec", "servers", i))
        if server:
            for j, h in enumerate(c.sequence(server.get("hosts"), ("spec", "servers", i, "hosts")) or ()):
                c.string(h, ("spec", "servers", i, "hosts", j))


def _istio_cr(c: _Checker, r: IstioCR) -> None:
    spec = c.mapping(r.data.get("spec"), ("spec",))
    if not spec:
        return
    components = c.mapping(spec.get("components"), ("spec", "components"))
    egress = c.mapping((components or {}).get("egressGateway"), ("spec", "components", "egressGateway"))
    if egress:
        c.boolean(egress.get("enabled"), ("spec", "components", "egressGateway", "enabled"))
    config = c.mapping(spec.get("config"), ("spec", "config"))
    for i, a in enumerate(c.sequence((config or {}).get("authorizers"), ("spec", "config", "authorizers")) or ()):
        apath = ("spec", "config", "authorizers", i)
        a = c.mapping(a, apath)
        if a is None:
            continue
        c.string(a.get("name"), apath + ("name",))
        c.string(a.get("service"), apath + ("service",))
        c.port(a.get("port"), apath + ("port",))


_BY_CLASS = (
    (Workload, _workload), (NetworkPolicy, _network_policy), (Service, _service), (APIRule, _apirule),
    (VirtualService, _virtual_service), (Gateway, _gateway), (IstioCR, _istio_cr),
)


def _validate(r: Resource, clean: dict | None = None) -> list[Problem]:
    if not isinstance(r, validated_kinds()):
        return []
    c = _Checker(r, clean)
    _metadata(c, r.data, ())
    for cls, check in _BY_CLASS:
        if isinstance(r, cls):
            check(c, r)
    if not c.out:
        return []
    # one problem per node and message, in document order of paths
    seen: set = set()
    out = []
    for p in c.out:
        k = (p.path, p.message, p.at_key)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out
