"""Documents with source positions.

The loader keeps, for every YAML document, the plain Python data (what the cluster would
see, YAML 1.1 semantics like kubectl) and where the document starts in its file.  Positions
are looked up lazily by path (from the document's events, or a node tree re-composed on
demand), so linting clean input pays nothing for positions it never reports.
"""
from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import Any

import yaml

from .construct import mapping_key


@dataclass(frozen=True, order=True, slots=True)   # slots: ~70 instead of ~400 bytes each
class Location:
    """A 1-based region in a file (``end_*`` inclusive line, exclusive column like SARIF)."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def of_node(cls, file: str, node: yaml.Node) -> "Location":
        end = node.end_mark
        hint = None if end.column else _last_scalar(node)   # span reads it at column 0 only
        return cls(file, *span(node.start_mark, end, hint))

    @classmethod
    def whole_file(cls, file: str, line: int = 1, column: int = 1) -> "Location":
        return cls(file, line, column, line, column + 1)


def span(start, end, hint=None) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of the region from mark ``start`` to mark ``end``
    (``Location``'s fields), for a node or for a collection's events; ``hint`` is the last
    scalar of a block collection (a node or an event), or None."""
    start_line = start.line
    end_line, end_col = end.line + 1, end.column + 1
    # A block collection's end mark points at the start of the next token (often the first
    # column of a later line); clamp it so regions do not swallow blank lines: to the end of
    # its last scalar if that is on the line before, else to column 1.
    if end_col == 1 and end_line > start_line + 1:
        end_line -= 1
        end_col = 1
        if hint is not None and hint.end_mark.line == end.line - 1:
            end_col = hint.end_mark.column + 1
    return start_line + 1, start.column + 1, max(end_line, start_line + 1), max(end_col, 1)


def _last_scalar(node: yaml.Node) -> yaml.Node | None:
    """``span``'s hint for a node: the end of the chain of last children (at most 64 steps
    down) if it is a scalar, else None.  (A scalar node is its own hint, which never
    applies: it does not end on the line before its own end.)"""
    last = node
    for _ in range(64):
        if isinstance(last, yaml.MappingNode) and last.value:
            last = last.value[-1][1]
        elif isinstance(last, yaml.SequenceNode) and last.value:
            last = last.value[-1]
        else:
            break
    return last if isinstance(last, yaml.ScalarNode) else None


class Head(dict):
    """A packed document's stand-in for its data: ``apiVersion``, ``kind`` and ``metadata``
    only, which is all the model reads of the kinds it does not analyse (see ``pack``)."""

    __slots__ = ()


class Document:
    """One YAML document of a file: data, node tree, and where it came from.

    ``data`` may be *packed* (``pack``): kept as ``marshal`` bytes -- about a fifth of the
    memory of the objects -- and rebuilt, once, the first time anything reads it.  (zlib on
    top saved another ~20 MB at 100k documents but cost ~0.35 s of parsing there: not worth
    it against the speed target.)  The model
    packs the documents of kinds no built-in analysis looks into (ConfigMaps, CRDs, RBAC, most
    custom resources: over half the bytes of a typical repository) and identifies them by
    their ``head``; rules, plugins and policies that read ``data`` see the same objects as if
    nothing had been packed.
    """

    __slots__ = ("path", "index", "_data", "_packed", "node", "origin", "source", "start", "name_at",
                 "labels_at", "_cache")

    def __init__(self, path: str, index: int, data: Any, node: yaml.Node | None = None,
                 origin: str | None = None, source: Any = None, start: tuple[int, int] | None = None,
                 name_at: int | None = None, labels_at: tuple | None = None):
        self.path = path             # display path (relative, '/' separators; '-' for stdin)
        self.index = index           # 0-based position of the document in its file
        self._data = data
        self._packed: bytes | None = None
        self.node = node             # kept only when asked for; else re-composed on demand
        self.origin = origin         # e.g. "# Source:" file of a rendered Helm stream
        self.source = source         # the SourceFile, which re-composes node trees on demand
        self.start = start           # (offset, line) where the document starts in the text
        self.name_at = name_at       # metadata.name's position, noted while parsing (fastparse)
        self.labels_at = labels_at   # (path, position) of a pod template's labels, likewise
        self._cache: tuple | dict | None = None     # located paths: see _cached

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, {self.index})"

    @property
    def data(self) -> Any:
        if self._packed is not None:
            self._data = marshal.loads(self._packed)
            self._packed = None
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data, self._packed = value, None

    @property
    def head(self) -> Any:
        """The data, or for a packed document its ``Head`` (without unpacking it)."""
        return self._data

    @property
    def packed(self) -> bool:
        return self._packed is not None

    def pack(self) -> bool:
        """Keep the data as bytes behind a ``Head``; False (nothing changed) when the data is
        not a mapping or holds a value ``marshal`` cannot write."""
        data = self._data
        if self._packed is not None or type(data) is not dict:
            return False
        try:
            packed = marshal.dumps(data)
        except ValueError:
            return False
        head = Head()
        for key in ("apiVersion", "kind", "metadata"):
            if key in data:
                head[key] = data[key]
        self._data, self._packed = head, packed
        return True

    # Located paths are remembered per document; most documents are located once or twice,
    # so one entry is kept as a tuple and a dict is made only for the second (a dict per
    # located document was ~5% of a large run's memory).
    def _cached(self, path: tuple, key: bool) -> Location | None:
        c = self._cache
        if c is None:
            return None
        if c.__class__ is tuple:
            return c[2] if c[0] == path and c[1] == key else None
        return c.get((path, key))

    def _remember(self, path: tuple, key: bool, loc: Location) -> Location:
        c = self._cache
        if c is None:
            self._cache = (path, key, loc)
        else:
            if c.__class__ is tuple:
                c = self._cache = {(c[0], c[1]): c[2]}
            c[(path, key)] = loc
        return loc

    def root(self) -> yaml.Node | None:
        """The document's node tree: kept, or rebuilt from the file text the first time a
        position is needed (most documents never need one, and node trees cost ~10x the
        memory of the data)."""
        if self.node is not None:
            return self.node
        return self.source.node_for(self.index) if self.source is not None else None

    def node_at(self, path: tuple, key: bool = False) -> yaml.Node | None:
        """The node at ``path`` (mapping keys and sequence indices), or None if absent.

        With ``key=True`` the node of the last mapping *key* is returned instead of its value.
        """
        node = self.root()
        if node is None:
            return None
        for i, step in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, yaml.MappingNode):
                found = None
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and mapping_key(k) == step:
                        found = (k, v)  # last duplicate wins, like the constructed data
                if found is None:
                    return None
                node = found[0] if (key and last) else found[1]
            elif isinstance(node, yaml.SequenceNode):
                if not isinstance(step, int) or not -len(node.value) <= step < len(node.value):
                    return None
                node = node.value[step]
            else:
                return None
        return node

    def locate(self, path: tuple = (), key: bool = False) -> Location:
        """The most specific location for ``path``: the node itself, else its nearest parent."""
        hit = self._cached(path, key)
        if hit is not None:
            return hit
        loc = None
        if self.root() is not None:
            for cut in range(len(path), -1, -1):
                node = self.node_at(path[:cut], key=key and cut == len(path))
                if node is not None:
                    loc = Location.of_node(self.path, node)
                    break
        if loc is None:
            loc = Location.whole_file(self.path)
        return self._remember(path, key, loc)


@dataclass(frozen=True, slots=True)
class Related:
    """A located note: the route, Service or policy involved in a finding (SARIF
    ``relatedLocations``).  Defined here, beside ``Location``, because the analyses describe
    routes and policies with it before any finding exists."""

    location: Location
    message: str
