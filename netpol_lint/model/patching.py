"""Kustomization patches applied to an object's labels and annotations (plain reading).

``load/kustomization.py`` says which patches reach a file's objects (``Edit``s) and why only
label/annotation changes are read; this module applies them to one object's data: the
mappings ``metadata.labels``/``annotations`` and, for a workload, its pod template's.  The
data of a run is shared and read-only: the object is copied along the changed paths only.
"""
from __future__ import annotations

from typing import Any

from ..load.kustomization import Edit
from .resources import POD_TEMPLATE_PATHS, api_group

_ABSENT = object()


def _targets(kind: str) -> list[tuple]:
    out = [("metadata", "labels"), ("metadata", "annotations")]
    template = POD_TEMPLATE_PATHS.get(kind)
    if template:                           # (a Pod's template is the object itself)
        out += [template + ("metadata", "labels"), template + ("metadata", "annotations")]
    return out


def _get(data: Any, path: tuple) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return _ABSENT
        data = data[key]
    return data


def _matches(edit: Edit, data: dict, kind: str) -> bool:
    p = edit.patch
    if p.kind is not None and p.kind != kind:
        return False
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    name = meta.get("name")
    if p.name is not None and (not isinstance(name, str) or p.name not in (name, edit.prefix + name + edit.suffix)):
        return False
    if p.namespace is not None:
        own = meta.get("namespace") if isinstance(meta.get("namespace"), str) else None
        if p.namespace != (edit.namespace or own):
            return False
    if p.group is not None and p.group != api_group(str(data.get("apiVersion", ""))):
        return False
    return True


def _merge(current: Any, patch: Any) -> Any:
    """A strategic merge of one labels/annotations mapping (``_ABSENT``: remove it)."""
    if patch is None:
        return _ABSENT
    if not isinstance(patch, dict):
        return current
    directive = patch.get("$patch")
    if directive == "delete":
        return _ABSENT
    base = {} if directive == "replace" or not isinstance(current, dict) else dict(current)
    for key, value in patch.items():
        if key == "$patch":
            continue
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


def _changes(edit: Edit, data: dict, targets: list[tuple]) -> dict[tuple, Any]:
    """New value (or ``_ABSENT``) of each target mapping one patch changes."""
    out: dict[tuple, Any] = {}

    def current(t: tuple) -> Any:
        return out[t] if t in out else _get(data, t)

    p = edit.patch
    if p.strategic is not None:
        for t in targets:
            node: Any = p.strategic
            for i, key in enumerate(t):
                if not isinstance(node, dict) or key not in node:
                    break
                node = node[key]
                if node is None and i < len(t) - 1:     # a parent set to null: removed
                    out[t] = _ABSENT
                    break
            else:
                out[t] = _merge(current(t), node)
        return out
    for op, path, value in p.json:
        for t in targets:
            if path == t[:len(path)]:      # the op sets or removes the mapping or a parent of it
                if op == "remove":
                    out[t] = _ABSENT
                else:
                    new = _get(value, t[len(path):])
                    out[t] = dict(new) if isinstance(new, dict) else _ABSENT
            elif len(path) == len(t) + 1 and path[:-1] == t:
                mapping = current(t)
                mapping = dict(mapping) if isinstance(mapping, dict) else {}
                if op == "remove":
                    mapping.pop(path[-1], None)
                else:
                    mapping[path[-1]] = value
                out[t] = mapping
    return out


def _set(data: dict, path: tuple, value: Any) -> dict:
    """A copy of ``data`` with ``path`` set (``_ABSENT``: removed), copied along the path."""
    top = dict(data)
    node = top
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            if value is _ABSENT:
                return top
            child = {}
        node[key] = node = dict(child)
    if value is _ABSENT:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = value
    return top


def patched(data: dict, edits: tuple[Edit, ...]) -> tuple[dict, dict[tuple, tuple[frozenset, tuple]]]:
    """``data`` with the label/annotation changes of the ``edits`` that match it (the same
    object when none does), and per changed mapping (its path in the object) the keys the
    patches changed and the patches' source files."""
    kind = data.get("kind")
    if not isinstance(kind, str):
        return data, {}
    targets = _targets(kind)
    changed: dict[tuple, tuple[frozenset, tuple]] = {}
    for edit in edits:
        if _matches(edit, data, kind):
            for t, value in _changes(edit, data, targets).items():
                old, new = _get(data, t), value
                old = old if isinstance(old, dict) else {}
                new = new if isinstance(new, dict) else {}
                keys = frozenset(k for k in set(old) | set(new) if old.get(k, _ABSENT) != new.get(k, _ABSENT))
                if keys:
                    before = changed.get(t, (frozenset(), ()))
                    sources = before[1] + ((edit.patch.source,) if edit.patch.source not in before[1] else ())
                    changed[t] = (before[0] | keys, sources)
                data = _set(data, t, value)
    return data, changed
