"""Map findings in rendered manifests back to the files people edit.

Two renderers leave a trail in their output:

* ``helm template`` writes ``# Source: CHART/templates/FILE.yaml`` above every document.  For
  documents read from stdin (``helm template … | netpol-lint -``) findings report that file
  name instead of ``-``.  The template itself is Go-template text that cannot be parsed, so
  the line is counted **within the rendered document**: line 1 is the first line after its
  ``# Source:`` comment (what ``helm template --show-only templates/FILE.yaml`` prints), not a
  line of the template source and not a line of the whole stream, whose numbers mean nothing
  in the template file.
* kustomize writes a ``config.kubernetes.io/origin`` annotation (``path: base/deploy.yaml``)
  when ``buildMetadata: [originAnnotations]`` is on; ``--kustomize`` always turns it on (see
  ``kustomize.py``).  The origin file is real YAML, so the finding moves to the **same node**
  in the original document (found by kind and name, allowing kustomize's name prefix/suffix);
  a node that a transformer added (a namespace, a common label) falls back to its nearest
  parent that exists in the original.  Remote origins (``repo:``) keep the rendered position.

Moved findings are not ``fixable``: their fix would edit rendered text, not the source.
Suppression (engine/pipeline.py) checks a moved finding at its rendered position and at its
origin, so resource annotations, ``# netpol-lint: disable=…`` in a base file and path globs
keep working through kustomize.
"""
from __future__ import annotations

import bisect
import dataclasses
import os
from functools import lru_cache

from typing import Any

import yaml

from .documents import Document, Location
from .loader import MANIFEST_SUFFIXES, SourceFile, YAMLDataError, display_path, load_yaml_data, read_file
from .text import helm_sources

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


class RenderedFile(SourceFile):
    """A ``SourceFile`` produced by a renderer; ``origin_root`` resolves origin paths."""

    def __init__(self, path: str, origin_root: str | None = None, **kw):
        super().__init__(path, **kw)
        self.origin_root = origin_root


# -- which file a document / resource is reported under ------------------------------------
def _origin_annotation(data) -> dict | None:
    meta = data.get("metadata") if isinstance(data, dict) else None
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    raw = ann.get(ORIGIN_ANNOTATION) if isinstance(ann, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        parsed = load_yaml_data(raw)
    except YAMLDataError:
        return None
    return parsed if isinstance(parsed, dict) else None


def kustomize_origin(data, root: str | None) -> str | None:
    """Display path of the file a kustomize-rendered object came from (None: not local)."""
    origin = _origin_annotation(data)
    if not origin or origin.get("repo"):
        return None
    rel = origin.get("path") or origin.get("configuredIn")
    # kustomize writes relative paths to manifests; anything else (absolute paths, URLs, other
    # file types) is not followed, so an annotation cannot make the linter read arbitrary files
    if not isinstance(rel, str) or not rel or "://" in rel or os.path.isabs(rel):
        return None
    if not (rel.lower().endswith(MANIFEST_SUFFIXES) or os.path.basename(rel) == "Kustomization"):
        return None
    full = os.path.normpath(os.path.join(root or os.getcwd(), rel))
    return display_path(full) if os.path.isfile(full) else None


class OriginMap:
    """Per session: where each rendered document really comes from."""

    def __init__(self, files: list[SourceFile]):
        self.files = {f.path: f for f in files}
        self._helm_lines: dict[str, list[tuple[int, str]]] = {}

    def _root(self, path: str) -> str | None:
        f = self.files.get(path)
        return getattr(f, "origin_root", None)

    def is_rendered(self, path: str) -> bool:
        return path == "-" or isinstance(self.files.get(path), RenderedFile)

    def document_file(self, doc: Document, data=None) -> str:
        """The file an object of ``doc`` is reported under (``data``: a List item)."""
        if doc.path == "-" and doc.origin:
            return doc.origin
        if self.is_rendered(doc.path):
            target = kustomize_origin(data if data is not None else doc.data, self._root(doc.path))
            if target:
                return target
        return doc.path

    # -- Helm ----------------------------------------------------------------------------
    def helm_source_line(self, doc: Document) -> int | None:
        """1-based line of the ``# Source:`` comment that heads ``doc`` in its stream."""
        if not doc.origin:
            return None
        sources = self._helm_lines.get(doc.path)
        if sources is None:
            text = (self.files[doc.path].text if doc.path in self.files else "") or ""
            # the loader counts lines from 0
            sources = self._helm_lines[doc.path] = [(line + 1, name) for line, name in helm_sources(text)]
        start = doc.locate(()).line
        best = None
        for line, name in sources:
            if line > start:
                break
            if name == doc.origin:
                best = line
        return best


def reported_file(resource, origins: OriginMap) -> str:
    """The file a resource is reported under (for reporters that list resources)."""
    return origins.document_file(resource.doc, resource.data)


# -- moving locations ----------------------------------------------------------------------
def _node_index(doc: Document) -> list[tuple[Location, tuple, bool]]:
    """Every node of ``doc`` as (location, path, is_key), for reverse lookups."""
    out: list[tuple[Location, tuple, bool]] = []
    root = doc.root()
    if root is None:
        return out
    stack = [(root, ())]
    budget = 500_000
    while stack and budget > 0:
        budget -= 1
        node, path = stack.pop()
        out.append((Location.of_node(doc.path, node), path, False))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    step = k.value
                    out.append((Location.of_node(doc.path, k), path + (step,), True))
                    stack.append((v, path + (step,)))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, path + (i,)))
    return out


@lru_cache(maxsize=256)
def _read_origin(abs_path: str, mtime: float) -> SourceFile:
    return read_file(abs_path)


def origin_file(path: str) -> SourceFile | None:
    """``read_file(path)``, read once per (absolute path, mtime); None when it cannot be stat'ed
    (the origin files findings move to, and whose comments suppression reads)."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    return _read_origin(os.path.abspath(path), mtime)


def _origin_documents(path: str) -> list[Document]:
    src = origin_file(path)
    return src.documents if src is not None else []


def _objects(doc: Document, data, base=(), depth=0):
    """(base path, object) for the document and the items of ``kind: List`` documents."""
    if not isinstance(data, dict):
        return
    kind = data.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list) and depth < 8:
        for i, item in enumerate(data["items"]):
            yield from _objects(doc, item, base + ("items", i), depth + 1)
        return
    yield base, data


def _name(data) -> str:
    meta = data.get("metadata") if isinstance(data, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    return str(name) if isinstance(name, (str, int)) else ""


def _match_original(rendered: dict, docs: list[Document]):
    """(document, base) of the object in an origin file that was rendered into ``rendered``."""
    kind, name = rendered.get("kind"), _name(rendered)
    candidates = [(d, base, obj) for d in docs for base, obj in _objects(d, d.data) if obj.get("kind") == kind]
    exact = [c for c in candidates if _name(c[2]) == name]
    if exact:
        return exact[0][:2]
    # namePrefix / nameSuffix: the original name is a part of the rendered one
    inner = sorted((c for c in candidates if _name(c[2]) and _name(c[2]) in name), key=lambda c: -len(_name(c[2])))
    if inner:
        return inner[0][:2]
    if len(candidates) == 1:
        return candidates[0][:2]
    return None


class Relocator:
    """Rewrites locations that fall in rendered documents (see the module docstring)."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.origins = OriginMap(session.files)
        self._docs: dict[str, list[Document]] = {}
        self._index: dict[int, list] = {}
        self._moved: dict[Location, Location] = {}
        self._spans: dict[str, list] = {}
        self._starts: dict[str, list[int]] = {}

    def _documents(self, path: str) -> list[Document]:
        docs = self._docs.get(path)
        if docs is None:
            f = self.origins.files.get(path)
            docs = self._docs[path] = list(f.documents) if f is not None else []
        return docs

    def _document_at(self, loc: Location) -> Document | None:
        """The document whose span holds ``loc`` (spans sorted once per file, then bisected)."""
        spans = self._spans.get(loc.file)
        if spans is None:
            spans = []
            for d in self._documents(loc.file):
                whole = d.locate(())
                spans.append((whole.line, max(whole.end_line, whole.line), d))
            spans.sort(key=lambda s: (s[0], s[1]))
            self._spans[loc.file] = spans
            self._starts[loc.file] = [s[0] for s in spans]
        i = bisect.bisect_right(self._starts[loc.file], loc.line)
        while i > 0:
            i -= 1
            start, end, d = spans[i]
            if start <= loc.line <= end:
                return d
            if end < loc.line:
                break
        return None

    def move(self, loc: Location) -> Location:
        if not self.origins.is_rendered(loc.file):
            return loc
        hit = self._moved.get(loc)
        if hit is None:
            hit = self._moved[loc] = self._move(loc)
        return hit

    def _move(self, loc: Location) -> Location:
        doc = self._document_at(loc)
        if doc is None:
            return loc
        if doc.path == "-" and doc.origin:
            head = self.origins.helm_source_line(doc)
            if head is None:
                return dataclasses.replace(loc, file=doc.origin)
            return Location(doc.origin, max(loc.line - head, 1), loc.column,
                            max(loc.end_line - head, 1), loc.end_column)
        return self._move_kustomized(doc, loc)

    def _move_kustomized(self, doc: Document, loc: Location) -> Location:
        if all(self.origins.document_file(doc, obj) == doc.path for _, obj in _objects(doc, doc.data)):
            return loc      # nothing in this document came from elsewhere: skip the node walk
        index = self._index.get(id(doc))
        if index is None:
            index = self._index[id(doc)] = _node_index(doc)
        match = next(((path, key) for node_loc, path, key in index if node_loc == loc), None)
        if match is None:
            match = next(((path, key) for node_loc, path, key in index
                          if (node_loc.line, node_loc.column) == (loc.line, loc.column)), ((), False))
        path, key = match
        # the object (a document, or an item of a List document) the node belongs to
        base, obj = (), doc.data
        for b, o in _objects(doc, doc.data):
            if path[:len(b)] == b and len(b) >= len(base):
                base, obj = b, o
        target = self.origins.document_file(doc, obj)
        if target == doc.path:
            return loc
        original = _match_original(obj, _origin_documents(target))
        if original is None:
            return Location.whole_file(target)
        odoc, obase = original
        found = odoc.locate(obase + path[len(base):], key=key)
        return dataclasses.replace(found, file=target)


def has_rendered_input(files) -> bool:
    """Whether any finding may need moving: Helm output on stdin or ``--kustomize`` renderings."""
    return any(f.path == "-" or isinstance(f, RenderedFile) for f in files)
