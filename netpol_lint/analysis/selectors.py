"""Kubernetes label selectors, compiled once and evaluated either per label set or as bitsets.

A selector is parsed into requirements (``key``, ``op``, ``values``); ``matchLabels`` pairs
become ``In`` requirements with one value, exactly as the API machinery converts them.

Why bitsets: the reachability engine asks "which endpoints does this selector pick?" for
every policy and every peer.  With a ``LabelIndex`` (endpoint masks per label key and per
key/value pair) that question is a handful of big-integer AND/OR operations instead of a scan
over every endpoint's labels.

Malformed selectors (not a mapping, unknown fields, non-string values, a bad operator, ``In``
without values ...) match nothing: the API server would reject the object, NPL003 reports it,
and guessing an intent here could only invent connections that do not exist.
"""
from __future__ import annotations

from typing import Any, Collection, Iterable, Mapping

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")

# (key, operator, values): one requirement of a selector.
Requirement = tuple[str, str, frozenset[str]]


class Selector:
    """A compiled label selector; ``valid`` is False for malformed input (matches nothing)."""

    __slots__ = ("requirements", "valid")

    def __init__(self, requirements: tuple[Requirement, ...] = (), valid: bool = True):
        self.requirements: tuple[Requirement, ...] = requirements
        self.valid = valid

    @property
    def matches_all(self) -> bool:
        return self.valid and not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        if not self.valid:
            return False
        for key, op, values in self.requirements:
            if op == "In":
                if labels.get(key) not in values:
                    return False
            elif op == "NotIn":
                if key in labels and labels[key] in values:
                    return False
            elif op == "Exists":
                if key not in labels:
                    return False
            elif key in labels:  # DoesNotExist
                return False
        return True

    def mask(self, index: "LabelIndex") -> int:
        """Bitset of the indexed label sets this selector matches."""
        if not self.valid:
            return 0
        m = index.all_mask
        for key, op, values in self.requirements:
            if op == "In":
                m &= index.any_of(key, values)
            elif op == "NotIn":
                m &= ~index.any_of(key, values)
            elif op == "Exists":
                m &= index.by_key.get(key, 0)
            else:
                m &= ~index.by_key.get(key, 0)
            if not m:
                return 0
        return m & index.all_mask

    def describe(self) -> str:
        """Short human text, e.g. ``app=web,tier in (a,b)``; ``{}`` for match-all."""
        if not self.valid:
            return "<invalid selector>"
        return describe_requirements(self.requirements)

    def __repr__(self) -> str:
        return f"Selector({self.describe()})"


MATCH_ALL = Selector()
MATCH_NONE = Selector(valid=False)


def parse_selector(raw: Any, *, null_matches_all: bool = True) -> Selector:
    """Compile a ``LabelSelector`` mapping.

    ``null_matches_all``: a ``null``/absent selector is the empty selector (the API treats a
    null ``spec.podSelector`` that way); callers for which absence means something else
    (peers) handle absence before calling.
    """
    if raw is None:
        return MATCH_ALL if null_matches_all else MATCH_NONE
    if not isinstance(raw, dict) or set(raw) - {"matchLabels", "matchExpressions"}:
        return MATCH_NONE
    reqs: list[Requirement] = []
    labels = raw.get("matchLabels")
    if labels is not None:
        if not isinstance(labels, dict):
            return MATCH_NONE
        for k, v in labels.items():
            if not isinstance(k, str) or not isinstance(v, str):
                return MATCH_NONE
            reqs.append((k, "In", frozenset((v,))))
    exprs = raw.get("matchExpressions")
    if exprs is not None:
        if not isinstance(exprs, list):
            return MATCH_NONE
        for e in exprs:
            req = _expression(e)
            if req is None:
                return MATCH_NONE
            reqs.append(req)
    return Selector(tuple(sorted(reqs, key=lambda r: (r[0], r[1], sorted(r[2])))), True) if reqs else MATCH_ALL


def _expression(e: Any) -> Requirement | None:
    if not isinstance(e, dict) or set(e) - {"key", "operator", "values"}:
        return None
    key, op, values = e.get("key"), e.get("operator"), e.get("values")
    if not isinstance(key, str) or not key or op not in OPERATORS:
        return None
    if values is None:
        values = []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    if op in ("In", "NotIn") and not values:
        return None
    if op in ("Exists", "DoesNotExist") and values:
        return None
    return key, op, frozenset(values)


class LabelIndex:
    """Bitset index over an ordered list of label sets (bit ``i`` = item ``i``)."""

    __slots__ = ("all_mask", "by_key", "by_pair")

    def __init__(self, label_sets: Iterable[Mapping[str, str]]):
        self.by_key: dict[str, int] = {}
        self.by_pair: dict[tuple[str, str], int] = {}
        n = 0
        for i, labels in enumerate(label_sets):
            bit = 1 << i
            for k, v in labels.items():
                self.by_key[k] = self.by_key.get(k, 0) | bit
                self.by_pair[(k, v)] = self.by_pair.get((k, v), 0) | bit
            n = i + 1
        self.all_mask = (1 << n) - 1

    def any_of(self, key: str, values: Iterable[str]) -> int:
        m = 0
        for v in values:
            m |= self.by_pair.get((key, v), 0)
        return m


def describe_requirements(requirements: Iterable[tuple[str, str, Collection[str]]]) -> str:
    """``app=web,tier in (a,b),!legacy`` for (key, operator, values) triples; ``{}`` for none."""
    if not requirements:
        return "{}"
    parts = []
    for key, op, values in requirements:
        if op == "In" and len(values) == 1:
            parts.append(f"{key}={next(iter(values))}")
        elif op in ("In", "NotIn"):
            parts.append(f"{key} {'in' if op == 'In' else 'notin'} ({','.join(sorted(values))})")
        elif op == "Exists":
            parts.append(key)
        else:
            parts.append(f"!{key}")
    return ",".join(parts)
