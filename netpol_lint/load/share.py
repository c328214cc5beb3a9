"""One object for equal parts of documents: the memory of repeated YAML paid once.

Manifests repeat themselves: a Deployment's labels appear as ``metadata.labels``,
``selector.matchLabels`` and the pod template's labels; resource limits, probes, ports,
security contexts and ``emptyDir: {}`` recur across a repository's workloads.  In CPython
even a one-key dict costs 184 bytes, so on large inputs these copies are most of the memory
(measured: 44% of the mappings and lists of ``../shared/corpus``; 65 MB of 135 MB on the
100k-document benchmark).  ``share`` replaces every mapping and list that equals one seen
before -- same keys in the same order, same values of the same types -- by that earlier
object (hash-consing, bottom-up: a parent's key names its already-shared children by
identity, so nothing is hashed twice).

The data of a run is read-only (``Resource.data`` and everything under it): rules, plugins
and policies only read it, ``--fix`` edits copies.  Sharing relies on that; copy a value
before changing it.

Only values whose equality is exact take part: ``str`` and ``int`` scalars (never ``bool``
or ``float``: ``1 == True == 1.0`` in Python, but not in YAML).  A mapping or list holding
anything else (null, floats, booleans, dates, binary), or more than 64 entries, is kept as
it is, though its own children are still shared.  A document's root is never replaced (each
resource keeps its own); the cache is per process, bounded, and emptied when reading ends.
"""
from __future__ import annotations

from typing import Any

_LIMIT = 200_000        # shared objects remembered per kind before the cache is emptied
_MAX_DEPTH = 64         # deeper subtrees are left unshared (manifests nest ~10 levels)
_MAX_ITEMS = 64         # larger collections rarely repeat; their keys would cost their size

_mappings: dict[tuple, dict] = {}
_lists: dict[tuple, list] = {}


def share(root: Any) -> None:
    """Replace, inside ``root`` (a document's data), every mapping and list equal to one
    seen before by that one.  ``root`` itself is kept."""
    if isinstance(root, (dict, list)):      # (a packed document's Head too)
        _key(root, 0)


def forget() -> None:
    """Empty the cache (reading is over: what is shared stays shared)."""
    _mappings.clear()
    _lists.clear()


def _key(node: dict | list, depth: int) -> tuple | None:
    """Share the children of ``node``; the key ``node`` is cached under, or None when it
    cannot be shared.

    A mapping's key is (key, value, key, value ...), a list's (value, ...); a shared child
    stands in it as the 1-tuple of its identity, which never equals a str or int.
    """
    named = isinstance(node, dict)
    parts: list | None = [] if len(node) <= _MAX_ITEMS else None
    for k, v in node.items() if named else enumerate(node):
        cls = v.__class__
        if cls is str or cls is int:
            part = v
        elif (cls is dict or cls is list) and (same := _shared(v, depth + 1)) is not None:
            if same is not v:
                node[k] = same
            part = (id(same),)
        else:
            parts = None
            continue
        if parts is not None:
            if named:
                parts.append(k)
            parts.append(part)
    return None if parts is None else tuple(parts)


def _shared(node: dict | list, depth: int) -> Any:
    """The one object equal to ``node`` (perhaps ``node``), or None if it cannot be shared
    (its children are shared all the same)."""
    if depth > _MAX_DEPTH:
        return None
    key = _key(node, depth)
    if key is None:
        return None
    cache = _mappings if node.__class__ is dict else _lists
    same = cache.get(key)
    if same is None:
        if len(cache) >= _LIMIT:
            cache.clear()
        cache[key] = same = node
    return same
