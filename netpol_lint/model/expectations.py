"""Connectivity expectations: the traffic a team declares it needs (or forbids).

The file (``.netpol-lint-expect.yaml``, or config ``expectations:``) is read with the
project's loader, so every expectation keeps its file, line and column (findings NPL601 and
NPL602 point there) and the loader's limits apply.  It is validated here, by hand, with the
same rules as the JSON Schema shipped in ``netpol_lint/data/expectations.schema.json``
(tests keep the two in step); a file that breaks them is an ``ExpectationsError``: exit 2,
one line, ``file:line:column``.  What the expectations *mean* over the input is
``analysis/expectations.py``'s business.

Where the file is found (docs/expectations.md):

- config ``expectations: PATH`` (relative to the config file's directory): that file, which
  must exist;
- else ``.netpol-lint-expect.yaml`` (or ``.yml``) beside the config file in use;
- else, without a config file, in the current directory or its nearest parent, up to the
  repository root (the first directory holding ``.git``), like the config file itself.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..config import Config, ConfigError
from ..load.documents import Document, Location
from ..load.loader import Limits, SourceFile, read_file

_NodeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

EXPECT_NAMES = (".netpol-lint-expect.yaml", ".netpol-lint-expect.yml")
KEYWORDS = ("ingress-gateway", "egress-gateway", "istiod", "kube-dns", "internet")
PREFIXES = ("svc", "ns", "host", "ip")
WHEN = ("always", "policies-enabled", "policies-disabled")
QUANTIFIERS = ("every", "some")
PROTOCOLS = ("TCP", "UDP", "SCTP")
ITEM_KEYS = ("name", "reason", "from", "to", "ports", "protocol", "allow", "when", "quantifier")
SELECTOR_KEYS = ("namespace", "namespaceSelector", "matchLabels", "matchExpressions")
DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
HOST_RE = re.compile(r"^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$")
_KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class ExpectationsError(ConfigError):
    """The expectations file cannot be used (exit 2; ``str()`` is the one line shown)."""


@dataclass(frozen=True)
class EndpointSpec:
    """One side of an expectation, as written.

    ``form``: ``workload`` (``ref`` = ``NS/NAME``, ``NS/KIND/NAME`` or ``KIND/NS/NAME``),
    ``svc`` / ``ns`` / ``host`` / ``ip`` (``ref`` = what follows the prefix), ``selector``
    (``selector`` = the mapping as canonical JSON), or one of ``KEYWORDS``.
    """

    form: str
    ref: str = ""
    selector: str = ""

    @property
    def text(self) -> str:
        """How messages name it."""
        if self.form == "workload":
            return self.ref
        if self.form in PREFIXES:
            return f"{self.form}:{self.ref}"
        if self.form == "selector":
            return "selector " + _selector_text(json.loads(self.selector))
        return self.form

    def selector_data(self) -> dict:
        return json.loads(self.selector) if self.selector else {}


@dataclass(frozen=True)
class Expectation:
    index: int                         # position in the file's list
    src: EndpointSpec
    dst: EndpointSpec
    allow: bool
    ports: tuple = ()                  # ints and port names; () = no ports given
    protocol: str | None = None        # None: not given (TCP for explicit ports)
    when: str = "always"
    quantifier: str = "every"
    name: str | None = None
    reason: str | None = None
    location: Location = field(default=None, compare=False)        # the list item
    src_location: Location = field(default=None, compare=False)    # its ``from`` (or the item)
    dst_location: Location = field(default=None, compare=False)    # its ``to``

    @property
    def title(self) -> str:
        """``'NAME'`` or ``FROM -> TO``: how findings name the expectation."""
        return f"'{self.name}'" if self.name else f"{self.src.text} -> {self.dst.text}"

    @property
    def key(self) -> str:
        """What identifies the expectation across edits of the rest of the file (fingerprints)."""
        return json.dumps([self.name, self.src.text, self.dst.text, list(self.ports), self.protocol,
                           self.allow, self.when, self.quantifier], default=str)

    def states(self) -> tuple[bool, ...]:
        """Module-policy states it is checked in (True: enabled)."""
        return {"always": (True, False), "policies-enabled": (True,), "policies-disabled": (False,)}[self.when]


@dataclass(eq=False)
class ExpectationSet:
    """The parsed file: its expectations in file order, and the file itself (for suppression
    comments).  ``cache`` holds what ``analysis/expectations.py`` computed for one session."""

    path: str                                   # display path
    source: SourceFile | None
    items: tuple[Expectation, ...] = ()
    cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


# -- finding the file ------------------------------------------------------------------------
def expectations_path(config: Config, start: str | None = None) -> str | None:
    """The expectations file for ``config`` (None: there is none); ExpectationsError when the
    config names one that does not exist."""
    if config.expectations:
        path = os.path.join(config.base_dir, config.expectations)
        if not os.path.isfile(path):
            where = os.path.relpath(config.path) if config.path else "config"
            raise ExpectationsError(f"{where}: 'expectations': file not found: {config.expectations}")
        return path
    if config.path:
        return _beside(os.path.dirname(os.path.abspath(config.path)))
    d = os.path.abspath(start or os.getcwd())
    while True:
        hit = _beside(d)
        if hit is not None or os.path.exists(os.path.join(d, ".git")):
            return hit
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _beside(directory: str) -> str | None:
    for name in EXPECT_NAMES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    return None


def load_expectations(config: Config, limits: Limits = Limits()) -> ExpectationSet | None:
    """The expectations that apply to a run with ``config`` (None: no file)."""
    path = expectations_path(config)
    return None if path is None else read_expectations(path, limits)


def read_expectations(path: str, limits: Limits = Limits()) -> ExpectationSet:
    src = read_file(path, limits=limits)
    shown = src.path
    if src.skipped:
        raise ExpectationsError(f"{shown}: cannot read expectations: {src.skipped}")
    if src.problems:
        p = src.problems[0]
        raise ExpectationsError(f"{p.location.file}:{p.location.line}:{p.location.column}: {p.message}")
    docs = [d for d in src.documents if d.data is not None]
    if not docs:
        return ExpectationSet(shown, src, ())
    if len(docs) > 1:
        raise ExpectationsError(_at(docs[1].locate(()), "an expectations file holds one YAML document"))
    return ExpectationSet(shown, src, tuple(parse_document(_with_nodes(src, docs[0]))))


def _with_nodes(src: SourceFile, doc: Document) -> Document:
    """``doc`` with its node tree, so that locating every expectation (three lookups each) is
    a walk down the tree: the loader's streamed lookups cost a pass over the document each,
    and its own composer ~10x what libyaml's takes (the file already passed the loader's
    limits, so composing it again is bounded)."""
    try:
        nodes = list(yaml.compose_all(src.text or "", Loader=_NodeLoader))
    except yaml.YAMLError:          # pragma: no cover - the loader parsed the same text
        return doc
    if doc.index >= len(nodes) or nodes[doc.index] is None:
        return doc                  # pragma: no cover
    return Document(doc.path, doc.index, doc.data, node=nodes[doc.index], source=src)


def _at(loc: Location, message: str) -> str:
    return f"{loc.file}:{loc.line}:{loc.column}: {message}"


# -- validation ------------------------------------------------------------------------------
def parse_document(doc) -> list[Expectation]:
    """Validate one document (a ``load.documents.Document``) into expectations."""
    data = doc.data

    def fail(path: tuple, message: str, key: bool = False):
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in path).replace(".[", "[")
        raise ExpectationsError(_at(doc.locate(path, key=key), f"{where + ': ' if where else ''}{message}"))

    if not isinstance(data, dict):
        fail((), "an expectations file is a mapping with the key 'expectations'")
    for k in data:
        if k != "expectations":
            fail((k,), f"unknown key '{k}' (the file holds 'expectations')", key=True)
    items = data.get("expectations")
    if items is None:
        return []
    if not isinstance(items, list):
        fail(("expectations",), "must be a list of expectations")
    out = []
    for i, item in enumerate(items):
        out.append(_parse_item(doc, i, item, fail))
    return out


def _parse_item(doc, i: int, item: Any, fail) -> Expectation:
    base = ("expectations", i)
    if not isinstance(item, dict):
        fail(base, "an expectation is a mapping with from, to and allow")
    for k in item:
        if k not in ITEM_KEYS:
            fail(base + (k,), f"unknown key '{k}' (expected one of {', '.join(ITEM_KEYS)})", key=True)
    for k in ("name", "reason"):
        if k in item and (not isinstance(item[k], str) or not item[k].strip()):
            fail(base + (k,), "must be a non-empty string")
    if "allow" not in item:
        fail(base, "'allow' is required (true: must be allowed, false: must be denied)")
    if not isinstance(item["allow"], bool):
        fail(base + ("allow",), "must be true or false")
    if "to" not in item:
        fail(base, "'to' is required")
    dst = _endpoint(item["to"], base + ("to",), fail)
    if "from" in item:
        src = _endpoint(item["from"], base + ("from",), fail)
    elif dst.form == "host":
        src = EndpointSpec("ingress-gateway")
    else:
        fail(base, "'from' is required (it may be left out only with a host: destination)")
    if src.form == "host":
        fail(base + ("from",), "host: is a destination only (traffic to a host comes from ingress-gateway)")
    if src.form in ("internet", "ip") and dst.form in ("internet", "ip"):
        fail(base, "both sides are outside the cluster: no NetworkPolicy governs that traffic")
    if dst.form == "host" and src.form != "ingress-gateway":
        fail(base + ("from",), "a host: destination is reached from ingress-gateway (leave 'from' out)")
    ports: tuple = ()
    if "ports" in item:
        if dst.form == "host":
            fail(base + ("ports",), "a host: destination takes its port from the route; leave 'ports' out")
        raw = item["ports"]
        raw = raw if isinstance(raw, list) else [raw]
        if not raw:
            fail(base + ("ports",), "must list at least one port (leave it out for any port)")
        values = []
        for j, p in enumerate(raw):
            at = base + ("ports",) + ((j,) if isinstance(item["ports"], list) else ())
            if isinstance(p, str) and p.isdigit():
                p = int(p)
            if isinstance(p, bool) or not (isinstance(p, int) and 1 <= p <= 65535
                                           or isinstance(p, str) and len(p) <= 15 and _PORT_NAME.match(p)):
                fail(at, f"{p!r} is not a port number (1-65535) or a port name")
            values.append(p)
        ports = tuple(dict.fromkeys(values))
    protocol = None
    if "protocol" in item:
        proto = item["protocol"]
        if not isinstance(proto, str) or proto.upper() not in PROTOCOLS or proto not in (proto.upper(), proto.lower()):
            fail(base + ("protocol",), f"must be one of {', '.join(PROTOCOLS)}")
        protocol = proto.upper()
    when = item.get("when", "always")
    if when not in WHEN:
        fail(base + ("when",), f"must be one of {', '.join(WHEN)}")
    quantifier = item.get("quantifier", "every")
    if quantifier not in QUANTIFIERS:
        fail(base + ("quantifier",), f"must be one of {', '.join(QUANTIFIERS)}")
    item_loc, src_loc, dst_loc = _locations(doc, i)
    return Expectation(
        index=i, src=src, dst=dst, allow=item["allow"], ports=ports, protocol=protocol, when=when,
        quantifier=quantifier, name=item.get("name"), reason=item.get("reason"), location=item_loc,
        src_location=src_loc if "from" in item else item_loc, dst_location=dst_loc)


def _locations(doc, i: int) -> tuple[Location, Location, Location]:
    """Where item ``i`` is, and its ``from`` and ``to`` values: straight from the node tree
    (``Document.locate`` decodes every key it passes, ~3x slower over 1,000 expectations);
    ``locate`` for anything unusual (aliases, tags, duplicate keys)."""
    root = doc.node
    try:
        seq = [v for k, v in root.value if k.value == "expectations"][-1]
        node = seq.value[i]
        found = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode) and not k.style}
        where = [Location.of_node(doc.path, n) for n in (node, found.get("from", node), found["to"])]
        return where[0], where[1], where[2]
    except (AttributeError, IndexError, KeyError, TypeError):
        base = ("expectations", i)
        return doc.locate(base), doc.locate(base + ("from",)), doc.locate(base + ("to",))


def _endpoint(raw: Any, at: tuple, fail) -> EndpointSpec:
    if isinstance(raw, dict):
        return _selector(raw, at, fail)
    if not isinstance(raw, str) or not raw.strip():
        fail(at, "an endpoint is a string (NS/NAME, svc:NS/NAME, ns:NS, host:HOST, ip:CIDR, "
                 f"{', '.join(KEYWORDS)}) or a selector mapping")
    text = raw.strip()
    if text in KEYWORDS:
        return EndpointSpec(text)
    prefix, sep, rest = text.partition(":")
    if sep:
        if prefix not in PREFIXES:
            fail(at, f"unknown endpoint prefix '{prefix}:' (use svc:, ns:, host: or ip:)")
        if prefix == "svc":
            parts = rest.split("/")
            if len(parts) != 2 or not all(DNS_LABEL_RE.match(p) for p in parts):
                fail(at, f"'{text}': a Service is svc:NAMESPACE/NAME")
        elif prefix == "ns":
            if not DNS_LABEL_RE.match(rest):
                fail(at, f"'{text}': a namespace is ns:NAME (a DNS label)")
        elif prefix == "host":
            if not HOST_RE.match(rest):
                fail(at, f"'{text}': a host is host:HOSTNAME (e.g. host:shop.example.com)")
            rest = rest.lower()
        else:
            try:
                rest = str(ipaddress.ip_network(rest, strict=False))
            except ValueError:
                fail(at, f"'{text}': ip: takes an address or a CIDR (ip:203.0.113.0/24)")
        return EndpointSpec(prefix, rest)
    parts = text.split("/")
    ok = len(parts) in (2, 3) and all(parts)
    if ok and len(parts) == 2:
        ok = all(DNS_LABEL_RE.match(p) for p in parts)
    elif ok:
        ok = (DNS_LABEL_RE.match(parts[0]) and _KIND.match(parts[1]) or _KIND.match(parts[0])
              and DNS_LABEL_RE.match(parts[1])) and DNS_LABEL_RE.match(parts[2])
    if not ok:
        fail(at, f"'{text}' is not an endpoint: use NAMESPACE/NAME (or NAMESPACE/KIND/NAME) of a workload, "
                 f"svc:NS/NAME, ns:NS, host:HOST, ip:CIDR or one of {', '.join(KEYWORDS)}")
    return EndpointSpec("workload", text)


def _selector(raw: dict, at: tuple, fail) -> EndpointSpec:
    for k in raw:
        if k not in SELECTOR_KEYS:
            fail(at + (k,), f"unknown selector key '{k}' (expected {', '.join(SELECTOR_KEYS)})", key=True)
    if not raw:
        fail(at, "an empty selector selects every pod of every namespace; name a namespace or labels")
    if "namespace" in raw and (not isinstance(raw["namespace"], str) or not DNS_LABEL_RE.match(raw["namespace"])):
        fail(at + ("namespace",), "must be a namespace name")
    if "namespace" in raw and "namespaceSelector" in raw:
        fail(at + ("namespaceSelector",), "give either namespace or namespaceSelector, not both")
    if "namespaceSelector" in raw:
        _label_selector(raw["namespaceSelector"], at + ("namespaceSelector",), fail)
    _label_selector({k: v for k, v in raw.items() if k in ("matchLabels", "matchExpressions")}, at, fail)
    return EndpointSpec("selector", selector=json.dumps(raw, sort_keys=True))


def _label_selector(raw: Any, at: tuple, fail) -> None:
    if not isinstance(raw, dict):
        fail(at, "a label selector is a mapping of matchLabels / matchExpressions")
    for k in raw:
        if k not in ("matchLabels", "matchExpressions"):
            fail(at + (k,), f"unknown key '{k}' (expected matchLabels, matchExpressions)", key=True)
    labels = raw.get("matchLabels", {})
    if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        fail(at + ("matchLabels",), "must map label keys to string values")
    exprs = raw.get("matchExpressions", [])
    if not isinstance(exprs, list):
        fail(at + ("matchExpressions",), "must be a list of {key, operator, values}")
    for j, e in enumerate(exprs):
        here = at + ("matchExpressions", j)
        if not isinstance(e, dict) or set(e) - {"key", "operator", "values"} or not isinstance(e.get("key"), str):
            fail(here, "must be {key, operator, values}")
        op, values = e.get("operator"), e.get("values")
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            fail(here, "operator must be In, NotIn, Exists or DoesNotExist")
        if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
            fail(here, "values must be a list of strings")
        if op in ("In", "NotIn") and not values:
            fail(here, f"{op} needs values")
        if op in ("Exists", "DoesNotExist") and values:
            fail(here, f"{op} takes no values")


def _selector_text(raw: dict) -> str:
    parts = []
    if "namespace" in raw:
        parts.append(f"namespace {raw['namespace']}")
    if "namespaceSelector" in raw:
        parts.append("namespaces " + _labels_text(raw["namespaceSelector"]))
    pods = _labels_text(raw)
    if pods:
        parts.append("pods " + pods)
    return ", ".join(parts) or "(all pods)"


def _labels_text(raw: dict) -> str:
    items = [f"{k}={v}" for k, v in sorted((raw.get("matchLabels") or {}).items())]
    for e in raw.get("matchExpressions") or ():
        op = e.get("operator")
        if op in ("In", "NotIn"):
            items.append(f"{e.get('key')} {op.lower()} ({','.join(e.get('values') or ())})")
        else:
            items.append(("!" if op == "DoesNotExist" else "") + str(e.get("key")))
    return ",".join(items)
