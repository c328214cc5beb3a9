"""Node tree -> plain Python data, in one pass that also finds duplicate keys.

PyYAML's ``construct_document`` is generic and slow (generators for every collection) and
silently keeps the last of duplicate keys.  Kubernetes rejects duplicates in strict decoding
and users mean neither value, so we report them.  Custom tags (``!!python/object``, ``!Ref``)
are never resolved to code: they construct as the plain scalar/mapping/sequence they hold.

Scalars follow YAML 1.1 as PyYAML resolves them (``yes``/``on`` are booleans, ``0755`` is
octal), which is what kubectl's go-yaml v2 does for every manifest we have seen; the rare
forms where the two differ are listed in docs/limits.md.  Where kubectl's conversion to JSON
(sigs.k8s.io/yaml) matters, the data follows kubectl:

* mapping keys become strings: ``80: x`` -> ``"80"``, ``true: x`` -> ``"true"``, floats as
  Go prints them; a null key cannot be converted (kubectl fails on the file);
* alias expansion is bounded like go-yaml's ("document contains excessive aliasing"), so an
  alias bomb is an input error rather than gigabytes of data.  Aliases share one Python
  object, so building costs memory linear in the file, and the bound keeps any later walk
  over the shared structure linear too.
"""
from __future__ import annotations

import math
import struct
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

STR_TAG = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
MERGE_TAG = "tag:yaml.org,2002:merge"
_SAFE = SafeConstructor()
_SCALAR_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    _INT: _SAFE.construct_yaml_int,
    _FLOAT: _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": lambda n: n.value,  # keep as text: manifests want strings
    "tag:yaml.org,2002:binary": lambda n: n.value,
    "tag:yaml.org,2002:value": lambda n: n.value,
}

# go-yaml v2's alias-expansion rule (decode.go, allowedAliasRatio)
_ALIAS_LOW, _ALIAS_HIGH = 400_000, 4_000_000


class ConstructProblem(Exception):
    """A document that cannot become data (reported as NPL001 at ``node``)."""

    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.node = node


def scalar_value(node: yaml.ScalarNode) -> Any:
    """The Python value of a scalar node (YAML 1.1 as PyYAML resolves it, timestamps as text)."""
    tag, text = node.tag, node.value
    if tag == STR_TAG:
        return text
    ctor = _SCALAR_CONSTRUCTORS.get(tag)
    if ctor is None:
        return text  # unknown/custom tag: plain data, never code
    try:
        return ctor(node)
    except Exception:  # e.g. an integer of more digits than Python converts
        return text


def key_text(value: Any) -> Any:
    """A constructed mapping key as sigs.k8s.io/yaml turns it into a JSON key (None: none)."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float32_text(value)
    return None


def mapping_key(node: yaml.Node) -> Any:
    """The key a scalar key node becomes in the data (used for position look-ups too)."""
    return key_text(scalar_value(node)) if isinstance(node, yaml.ScalarNode) else None


def go_float32_text(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'g', -1, 32)`` with go-yaml's inf/nan spellings."""
    if math.isnan(value):
        return ".nan"
    try:
        f32 = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:
        f32 = math.inf if value > 0 else -math.inf
    if math.isinf(f32):
        return ".inf" if f32 > 0 else "-.inf"
    if f32 == 0:
        return "-0" if math.copysign(1.0, f32) < 0 else "0"
    for precision in range(1, 10):  # shortest digits that read back as the same float32
        text = f"{f32:.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, exp_text = text.split("e")
    sign = "-" if mantissa.startswith("-") else ""
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    exp = int(exp_text)
    if exp < -4 or exp >= 6:  # %e form, at least two exponent digits
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    point = exp + 1           # %f form with exactly the significant digits
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


class Builder:
    """Builds data for one document; collects duplicate-key problems instead of raising.

    ``max_nodes`` bounds the *expanded* size (every alias counted in full), ``max_depth``
    the nesting (the composer enforces it first; this is the guard for other node trees).
    ``anchored_scalars`` are ids of scalar nodes that aliases may repeat (from the composer).
    ``alias_budget`` is what aliases may still add for the whole file (the loader passes
    what earlier documents left), so a file of many small alias bombs, each under the
    ratio, cannot multiply the data that rules walk.
    """

    def __init__(self, max_nodes: int = 5_000_000, max_depth: int = 1000, anchored_scalars: set | None = None,
                 alias_budget: int | None = None):
        self.duplicates: list[tuple[str, yaml.Node]] = []
        self.alias_budget = max_nodes if alias_budget is None else alias_budget
        self._memo: dict[int, tuple[Any, int]] = {}     # id(node) -> (value, expanded size)
        self._open: set[int] = set()
        self._anchored = anchored_scalars or set()
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.decoded = 0      # nodes decoded, aliases expanded (go-yaml's decodeCount)
        self.aliased = 0      # of which through an alias (go-yaml's aliasCount)

    def build(self, node: yaml.Node) -> Any:
        try:
            return self._value(node, 0)
        except RecursionError:
            raise ConstructProblem("document nested too deeply to read", node) from None

    def _value(self, node: yaml.Node, depth: int) -> Any:
        key = id(node)
        hit = self._memo.get(key)
        if hit is not None:  # an alias: share the object, count its expansion
            self._alias(node, hit[1])
            return hit[0]
        if key in self._open:
            raise ConstructProblem("an alias refers to a collection that contains it (recursive anchor)", node)
        self.decoded += 1
        if self.decoded > self.max_nodes:
            raise ConstructProblem(f"document has more than {self.max_nodes} nodes (aliases expanded)", node)
        if isinstance(node, yaml.ScalarNode):
            value = scalar_value(node)
            if key in self._anchored:
                self._memo[key] = (value, 1)
            return value
        if depth >= self.max_depth:
            raise ConstructProblem(f"document nested more than {self.max_depth} levels deep", node)
        before = self.decoded
        self._open.add(key)
        if isinstance(node, yaml.SequenceNode):
            out: list = []
            for item in node.value:
                out.append(self._value(item, depth + 1))
            result: Any = out
        else:
            result = self._mapping(node, depth)
        self._open.discard(key)
        self._memo[key] = (result, self.decoded - before + 1)
        return result

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict:
        out_map: dict = {}
        seen: set = set()
        for knode, vnode in node.value:
            if knode.tag == MERGE_TAG:
                self._merge(out_map, vnode, depth)
                continue
            k = self._value(knode, depth + 1)
            if isinstance(k, (dict, list)):
                raise ConstructProblem("a mapping key must be a scalar", knode)
            text = key_text(k)
            if text is None:
                raise ConstructProblem("a mapping key is null; kubectl cannot convert this document to JSON", knode)
            if text in seen:
                self.duplicates.append((text, knode))
            seen.add(text)
            out_map[text] = self._value(vnode, depth + 1)
        return out_map

    def _merge(self, target: dict, vnode: yaml.Node, depth: int) -> None:
        sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
        for src in sources:
            value = self._value(src, depth + 1)
            if not isinstance(value, dict):
                raise ConstructProblem("a merge key (<<) must refer to a mapping", src)
            for k, v in value.items():
                target.setdefault(k, v)

    def _alias(self, node: yaml.Node, size: int) -> None:
        self.decoded += 1 + size
        self.aliased += size
        if self.decoded > self.max_nodes:
            raise ConstructProblem(f"document has more than {self.max_nodes} nodes (aliases expanded)", node)
        if self.aliased > 100 and self.decoded > 1000 and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded):
            raise ConstructProblem("document contains excessive aliasing (an alias bomb; kubectl rejects it too)", node)
        if self.aliased > self.alias_budget:
            raise ConstructProblem(f"aliases in this file expand to more than {self.max_nodes} nodes in all", node)


def _allowed_alias_ratio(decoded: int) -> float:
    if decoded <= _ALIAS_LOW:
        return 0.99
    if decoded >= _ALIAS_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_LOW) / (_ALIAS_HIGH - _ALIAS_LOW)
