"""Node tree -> plain Python data, in one pass that also finds duplicate keys.

PyYAML's ``construct_document`` is generic and slow (generators for every collection) and
silently keeps the last of duplicate keys.  Kubernetes rejects duplicates in strict decoding
and users mean neither value, so we report them.  Custom tags (``!!python/object``, ``!Ref``)
are never resolved to code: they construct as the plain scalar/mapping/sequence they hold.
"""
from __future__ import annotations

import sys
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SAFE = SafeConstructor()
_SCALAR_CONSTRUCTORS = {
    "tag:yaml.org,2002:null": _SAFE.construct_yaml_null,
    "tag:yaml.org,2002:bool": _SAFE.construct_yaml_bool,
    "tag:yaml.org,2002:int": _SAFE.construct_yaml_int,
    "tag:yaml.org,2002:float": _SAFE.construct_yaml_float,
    "tag:yaml.org,2002:timestamp": lambda n: n.value,  # keep as text: manifests want strings
    "tag:yaml.org,2002:binary": lambda n: n.value,
    "tag:yaml.org,2002:value": lambda n: n.value,
}


class ConstructProblem(Exception):
    """A document that cannot become data (reported as NPL001 at ``node``)."""

    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.node = node


class Builder:
    """Builds data for one document; collects duplicate-key problems instead of raising."""

    def __init__(self, max_nodes: int = 5_000_000):
        self.duplicates: list[tuple[str, yaml.Node]] = []
        self._memo: dict[int, Any] = {}
        self._budget = max_nodes

    def build(self, node: yaml.Node) -> Any:
        limit = sys.getrecursionlimit()
        try:
            if limit < 12000:
                sys.setrecursionlimit(12000)
            return self._value(node, 0)
        except RecursionError:
            raise ConstructProblem("document nested too deeply to read", node) from None
        finally:
            sys.setrecursionlimit(limit)

    def _value(self, node: yaml.Node, depth: int) -> Any:
        if depth > 2000:
            raise ConstructProblem("document nested more than 2000 levels deep", node)
        if isinstance(node, yaml.ScalarNode):
            self._spend(node)
            if node.tag == _STR:
                return node.value
            ctor = _SCALAR_CONSTRUCTORS.get(node.tag)
            if ctor is None:
                return node.value  # unknown/custom tag: plain data, never code
            try:
                return ctor(node)
            except Exception:
                return node.value
        key = id(node)
        if key in self._memo:  # an alias: share the object (linear memory for alias bombs)
            return self._memo[key]
        self._spend(node)
        if isinstance(node, yaml.SequenceNode):
            out: list = []
            self._memo[key] = out
            out.extend(self._value(item, depth + 1) for item in node.value)
            return out
        out_map: dict = {}
        self._memo[key] = out_map
        seen: dict = {}
        for knode, vnode in node.value:
            if knode.tag == _MERGE:
                self._merge(out_map, vnode, depth)
                continue
            k = self._value(knode, depth + 1)
            if isinstance(k, (dict, list)):
                raise ConstructProblem("a mapping key must be a scalar", knode)
            if k in seen:
                self.duplicates.append((str(k), knode))
            seen[k] = True
            out_map[k] = self._value(vnode, depth + 1)
        return out_map

    def _merge(self, target: dict, vnode: yaml.Node, depth: int) -> None:
        sources = vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode]
        for src in sources:
            value = self._value(src, depth + 1)
            if not isinstance(value, dict):
                raise ConstructProblem("a merge key (<<) must refer to a mapping", src)
            for k, v in value.items():
                target.setdefault(k, v)

    def _spend(self, node: yaml.Node) -> None:
        self._budget -= 1
        if self._budget < 0:
            raise ConstructProblem("document has too many nodes (alias expansion limit)", node)
