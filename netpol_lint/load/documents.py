"""Documents with source positions.

The loader keeps, for every YAML document, both the plain Python data (what the cluster
would see, YAML 1.1 semantics like kubectl) and the libyaml node tree it was built from.
Positions are looked up lazily from the node tree by path, so linting clean input pays
nothing for positions it never reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

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
        start, end = node.start_mark, node.end_mark
        end_line, end_col = end.line + 1, end.column + 1
        # A block collection's end mark points at the start of the next token (often the
        # first column of a later line); clamp it so regions do not swallow blank lines.
        if end_col == 1 and end_line > start.line + 1:
            end_line -= 1
            end_col = _last_col_hint(node)
        return cls(file, start.line + 1, start.column + 1, max(end_line, start.line + 1), max(end_col, 1))

    @classmethod
    def whole_file(cls, file: str, line: int = 1, column: int = 1) -> "Location":
        return cls(file, line, column, line, column + 1)


def _last_col_hint(node: yaml.Node) -> int:
    """End column for a clamped block collection: end of its last scalar, if cheap to find."""
    last = node
    for _ in range(64):
        if isinstance(last, yaml.MappingNode) and last.value:
            last = last.value[-1][1]
        elif isinstance(last, yaml.SequenceNode) and last.value:
            last = last.value[-1]
        else:
            break
    if isinstance(last, yaml.ScalarNode) and last.end_mark.line == node.end_mark.line - 1:
        return last.end_mark.column + 1
    return 1


@dataclass
class Document:
    """One YAML document of a file: data, node tree, and where it came from."""

    path: str                      # display path (relative, '/' separators; '-' for stdin)
    index: int                     # 0-based position of the document in its file
    data: Any
    node: yaml.Node | None = None  # kept only when asked for; else re-composed on demand
    origin: str | None = None      # e.g. "# Source:" file of a rendered Helm stream
    resolve: Callable[[int], yaml.Node | None] | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    def root(self) -> yaml.Node | None:
        """The document's node tree: kept, or rebuilt from the file text the first time a
        position is needed (most documents never need one, and node trees cost ~10x the
        memory of the data)."""
        if self.node is not None:
            return self.node
        return self.resolve(self.index) if self.resolve is not None else None

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
                    if isinstance(k, yaml.ScalarNode) and _scalar_key(k) == step:
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
        ck = (path, key)
        hit = self._cache.get(ck)
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
        self._cache[ck] = loc
        return loc


def _scalar_key(node: yaml.ScalarNode) -> Any:
    """The data key a scalar key node became (the same conversion as ``construct``)."""
    return mapping_key(node)
