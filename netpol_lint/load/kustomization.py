"""Kustomizations read plainly: which namespace and name prefix/suffix a file's resources get.

When a directory is linted without ``--kustomize``, the files a ``kustomization.yaml``
lists are still read one by one; their resources often carry no ``metadata.namespace``
because the kustomization's ``namespace:`` sets it.  This module reads the kustomizations
themselves -- the data the loader already parsed from ``kustomization.yaml``/``.yml`` (so a
git revision's are read like the working tree's), and an extension-less ``Kustomization``
from disk with the loader's limits; nothing is built, fetched or executed (no generators,
plugins or remote bases) -- and says, for every file
listed (``resources``, ``bases``, ``components``; directories recursively through their
own kustomization), which ``namespace``, ``namePrefix`` and ``nameSuffix`` apply:

* a parent's ``namespace`` wins over a child's (kustomize's namespace transformer runs last
  in the parent), and it replaces a namespace the resource sets, as ``kustomize build`` does;
* prefixes and suffixes accumulate: ``parentPrefix + childPrefix + name + childSuffix +
  parentSuffix``;
* a kustomization listed by several parents that disagree (a base shared by ``dev`` and
  ``prod`` overlays) applies only its own settings, and a file listed by several
  kustomizations that disagree takes those of the nearest one (its own directory's first):
  a plainly linted file is one object, not one per overlay (``--kustomize`` renders each).

Patches (``patchesStrategicMerge``, ``patches``, ``patchesJson6902``) are read for one
thing only: the labels and annotations they set or remove on an object's ``metadata`` and on
a workload's pod template (``metadata`` under ``spec.template`` / a CronJob's
``spec.jobTemplate.spec.template``) -- an overlay adding
``networking.kyma-project.io/from-ingressgateway`` to a base Deployment is the usual layout.
Read as ``kustomize build`` does, as far as it goes plainly:

* a strategic-merge patch (a file, or an inline ``patch: |``) names its object by kind, name
  and, if it says so, namespace; its labels/annotations merge (a ``null`` value removes a key,
  ``$patch: replace``/``delete`` on the mapping replace/remove it); with a ``target:`` it
  applies to the objects the target names;
* a JSON 6902 patch (``patches:``/``patchesJson6902:`` with a ``target:``) applies its ``add``,
  ``replace`` and ``remove`` operations whose path is, or contains, one of those mappings
  (``~1`` and ``~0`` unescaped); other operations and paths are not label changes;
* a patch matches names as they are when it runs, before its own kustomization's
  ``namePrefix``/``nameSuffix``, i.e. the name in the base file with the prefixes/suffixes of
  the kustomizations in between; a base file's name is accepted too (kustomize matches any
  earlier id);
* a Component's patches change the objects of the kustomization that lists it under
  ``components`` (before that kustomization's own patches);
* not read: ``target`` with a ``labelSelector``/``annotationSelector`` or a regular
  expression as name, patches of remote or generated resources, and anything a patch
  changes beyond those labels and annotations.

A patch changes the object of a file the way the namespace does: a kustomization listed by
several parents applies their patches only when every parent's chain has the same ones (a
base shared by a ``dev`` overlay that patches and a ``prod`` overlay that does not is one
object, read unpatched), and a file listed by several kustomizations that disagree takes
the patches of the nearest one, like its namespace.

The directories of root kustomizations (listed by no other) are deployment units
(model/units.py).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from .loader import Limits, YAMLDataError, load_yaml_data

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
MAX_BYTES = 1 << 20
MAX_DEPTH = 32


@dataclass(frozen=True)
class Transform:
    namespace: str | None = None
    prefix: str = ""
    suffix: str = ""

    def under(self, parent: "Transform") -> "Transform":
        """This kustomization's settings as seen through ``parent`` listing it."""
        return Transform(parent.namespace or self.namespace, parent.prefix + self.prefix, self.suffix + parent.suffix)

    @property
    def empty(self) -> bool:
        return self.namespace is None and not self.prefix and not self.suffix


@dataclass(frozen=True)
class Patch:
    """One patch of a kustomization, as far as its label/annotation changes go.

    ``strategic`` is the patch document (a mapping), or ``json`` the operations
    ``(op, path tuple, value)``; it applies to objects of ``kind`` (None: any), ``name``
    (None: any), ``namespace`` and API ``group`` (None: any)."""

    kind: str | None
    name: str | None
    namespace: str | None = None
    group: str | None = None
    strategic: Any = None
    json: tuple = ()
    # the patch file, or the kustomization of an inline patch (equal patches of several files agree)
    source: str = field(default="", compare=False)


@dataclass(frozen=True)
class Edit:
    """A patch as seen from a file's objects: ``prefix + name + suffix`` is an object's name
    when the patch runs, ``namespace`` its namespace then (None: the object's own)."""

    patch: Patch
    prefix: str = ""
    suffix: str = ""
    namespace: str | None = None


@dataclass
class _Kustomization:
    path: str
    own: Transform
    component: bool = False                                # kind: Component (never a root)
    files: list[str] = field(default_factory=list)
    patches: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)      # directories of listed kustomizations
    components: list[str] = field(default_factory=list)    # those listed under ``components``
    edits: list[Patch] = field(default_factory=list)        # label/annotation patches, in order


@dataclass
class Placements:
    """What the kustomizations of the input say: a transform per listed file, and roots."""

    transforms: dict[str, Transform] = field(default_factory=dict)     # file -> transform
    roots: set[str] = field(default_factory=set)                      # root kustomization directories
    listed: set[str] = field(default_factory=set)     # files some kustomization lists or patches with
    patches: set[str] = field(default_factory=set)    # files used only as patches (not resources)
    edits: dict[str, tuple[Edit, ...]] = field(default_factory=dict)  # file -> patches of its objects


def read_placements(files: list[str], parsed: dict[str, object] | None = None,
                    on_disk: set[str] | frozenset = frozenset(),
                    documents: Callable[[str], list | None] | None = None) -> Placements:
    """Placements for ``files`` (absolute paths of the files read).

    ``parsed`` maps the path of each ``kustomization.yaml``/``.yml`` among them to its data
    (the loader read them like any YAML file, from disk or from git objects alike); only the
    extension-less ``Kustomization``, which the walker does not read, is looked for on disk,
    in the directories of ``on_disk`` files.  ``documents`` gives the data of the documents
    of a file read (None: not read); a patch file not read is looked for on disk like the
    extension-less ``Kustomization``.
    """
    read = set(files)
    parsed = parsed or {}
    found: dict[str, _Kustomization] = {}

    def patch_documents(path: str) -> list | None:
        docs = documents(path) if documents is not None and path in read else None
        if docs is None and os.path.dirname(path) in on_disk:
            docs = _read_documents(path)
        return docs

    for d in sorted({os.path.dirname(f) for f in files}):
        k = None
        for name in KUSTOMIZATION_NAMES[:2]:
            path = os.path.join(d, name)
            if path in parsed:
                k = _from_data(path, parsed[path], read, patch_documents)
                break
        if k is None and d in on_disk:
            candidate = os.path.join(d, KUSTOMIZATION_NAMES[2])
            if os.path.isfile(candidate):
                k = _read(candidate, read, patch_documents)
        if k is not None:
            found[d] = k
    if not found:
        return Placements()
    parents: dict[str, list[str]] = {}
    for d, k in found.items():
        k.children = [c for c in k.children if c in found and c != d]
        k.components = [c for c in k.components if c in found and c != d]
        for c in k.children:
            parents.setdefault(c, []).append(d)
    # a Component is only ever part of what lists it, never deployed alone
    roots = sorted(d for d in found if d not in parents and not found[d].component)
    effective: dict[str, Transform] = {}

    def resolve(d: str, depth: int = 0) -> Transform:
        hit = effective.get(d)
        if hit is not None:
            return hit
        own = found[d].own
        effective[d] = own                 # provisional: cycles and deep chains end here
        if depth < MAX_DEPTH and d in parents:
            seen = {own.under(resolve(p, depth + 1)) for p in parents[d]}
            if len(seen) == 1:
                effective[d] = seen.pop()
        return effective[d]

    chains: dict[str, tuple[Edit, ...]] = {}

    def component_patches(d: str, depth: int = 0) -> list[Patch]:
        """A Component's patches change the objects of the kustomization listing it (they
        run before that kustomization's own)."""
        out: list[Patch] = []
        for c in found[d].components:
            if depth < MAX_DEPTH and found[c].component:
                out += component_patches(c, depth + 1) + found[c].edits
        return out

    def resolve_edits(d: str, depth: int = 0) -> tuple[Edit, ...]:
        """The patches that reach the objects of ``d``'s files: its own, then (when all
        its parents agree) those of the chain above, seen through ``d``'s own settings."""
        hit = chains.get(d)
        if hit is not None:
            return hit
        k = found[d]
        mine = tuple(Edit(p) for p in component_patches(d) + k.edits)
        chains[d] = mine                   # provisional: cycles and deep chains end here
        if depth < MAX_DEPTH and d in parents:
            above = []
            for p in parents[d]:
                lifted = tuple(Edit(e.patch, e.prefix + k.own.prefix, k.own.suffix + e.suffix,
                                    e.namespace or k.own.namespace) for e in resolve_edits(p, depth + 1))
                if lifted not in above:
                    above.append(lifted)
            if len(above) == 1:
                chains[d] = mine + above[0]
        return chains[d]

    placements = Placements(roots=set(roots))
    for k in found.values():
        placements.listed.update(k.files)
        placements.listed.update(k.patches)
        placements.patches.update(k.patches)
    placements.patches -= {f for k in found.values() for f in k.files}
    listed: dict[str, list[tuple[str, Transform, tuple[Edit, ...]]]] = {}
    for d in sorted(found):
        t = resolve(d)
        e = resolve_edits(d)
        for f in found[d].files:
            listed.setdefault(f, []).append((d, t, e))
    for f, entries in listed.items():
        kinds = {t for _, t, _ in entries}
        nearest = max(((len(d), i) for i, (d, _, _) in enumerate(entries) if f.startswith(d + os.sep)),
                      default=None)       # the nearest kustomization: the deepest directory containing f
        if len(kinds) == 1:
            t = kinds.pop()
        else:
            t = entries[nearest[1]][1] if nearest else Transform()
        if not t.empty:
            placements.transforms[f] = t
        edits = [e for _, _, e in entries]
        if all(e == edits[0] for e in edits):
            chosen = edits[0]
        else:
            chosen = entries[nearest[1]][2] if nearest else ()
        if chosen:
            placements.edits[f] = chosen
    return placements


def _read_text(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _parse(text: str) -> list | None:
    """The documents of a YAML (or JSON) text, with the loader's limits (None: unreadable)."""
    out = []
    for part in re.split(r"^---[ \t]*(?:#.*)?$", text, flags=re.M):
        try:
            data = load_yaml_data(part, Limits(max_file_bytes=MAX_BYTES))
        except YAMLDataError:
            return None
        if data is not None:
            out.append(data)
    return out


def _read_documents(path: str) -> list | None:
    text = _read_text(path)
    return None if text is None else _parse(text)


def read_kustomization(path: str) -> Any:
    """The data of the kustomization file ``path`` read from disk (at most 1 MiB, UTF-8, with
    the loader's YAML limits); None when it cannot be read."""
    text = _read_text(path)
    if text is None:
        return None
    try:
        return load_yaml_data(text, Limits(max_file_bytes=MAX_BYTES))
    except YAMLDataError:
        return None


# What kustomize's loader would download: a URL, scp-like git (git@host:org/repo), go-getter's
# ``git::``, or a host-first repository path (github.com/org/repo//dir?ref=v1)
_REMOTE = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|git@|git::|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?/)")


def is_remote(entry: str, here: str) -> bool:
    """Whether kustomize would fetch ``entry`` listed by the kustomization in ``here``: it has
    the form of a URL or git repository and is no file or directory there (kustomize looks
    on disk first, so a local ``example.com/base`` stays local)."""
    return bool(_REMOTE.match(entry.strip())) and not os.path.exists(os.path.join(here, entry))


def _read(path: str, read: set[str], documents=None) -> _Kustomization | None:
    data = read_kustomization(path)
    return None if data is None else _from_data(path, data, read, documents)


_SIMPLE_NAME = re.compile(r"[A-Za-z0-9._:-]+")


def _target(entry: dict) -> tuple | None:
    """``(kind, name, namespace, group)`` of a ``target:`` (None: absent or not simple)."""
    target = entry.get("target")
    if not isinstance(target, dict):
        return None
    if target.get("labelSelector") or target.get("annotationSelector"):
        return None                        # selectors are not read
    fields = []
    for key in ("kind", "name", "namespace", "group"):
        v = target.get(key)
        if v is not None and not isinstance(v, str):
            return None
        fields.append(v or None)
    if fields[1] is not None and not _SIMPLE_NAME.fullmatch(fields[1]):
        return None                        # a regular expression
    if fields[0] is not None and not _SIMPLE_NAME.fullmatch(fields[0]):
        return None
    return tuple(fields)


def _pointer(path: Any) -> tuple | None:
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/"))


def _json_ops(doc: Any) -> tuple | None:
    if not isinstance(doc, list):
        return None
    ops = []
    for op in doc:
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace", "remove"):
            continue
        path = _pointer(op.get("path"))
        if path is not None:
            ops.append((op["op"], path, op.get("value")))
    return tuple(ops)


def _strategic(doc: Any, target: tuple | None, source: str) -> Patch | None:
    if not isinstance(doc, dict):
        return None
    if target is not None:
        kind, name, namespace, group = target
        return Patch(kind, name, namespace, group, strategic=doc, source=source)
    meta = doc.get("metadata")
    kind, name = doc.get("kind"), meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(kind, str) or not isinstance(name, str) or not kind or not name:
        return None
    namespace = meta.get("namespace")
    api = doc.get("apiVersion")
    group = api.split("/")[0] if isinstance(api, str) and "/" in api else ("" if isinstance(api, str) else None)
    return Patch(kind, name, namespace if isinstance(namespace, str) and namespace else None, group,
                 strategic=doc, source=source)


def _patches(key: str, entry: Any, kustomization: str, documents) -> list[Patch]:
    """The label/annotation patches of one entry of ``patchesStrategicMerge``, ``patches`` or
    ``patchesJson6902``."""
    here = os.path.dirname(kustomization)
    if isinstance(entry, str):
        if key != "patchesStrategicMerge":
            return []
        if "\n" in entry:                  # an inline patch
            source, docs = kustomization, _parse(entry)
        else:
            source = os.path.normpath(os.path.join(here, entry))
            docs = documents(source) if documents else None
        return [p for p in (_strategic(d, None, source) for d in docs or ()) if p is not None]
    if not isinstance(entry, dict):
        return []
    target = _target(entry)
    if "target" in entry and target is None:
        return []                          # a target this reading does not follow
    if isinstance(entry.get("patch"), str):
        source, docs = kustomization, _parse(entry["patch"])
    elif isinstance(entry.get("path"), str) and entry["path"]:
        source = os.path.normpath(os.path.join(here, entry["path"]))
        docs = documents(source) if documents else None
    else:
        return []
    if not docs:
        return []
    if len(docs) == 1 and isinstance(docs[0], list):          # JSON 6902
        ops = _json_ops(docs[0])
        if target is None or not ops:
            return []
        kind, name, namespace, group = target
        return [Patch(kind, name, namespace, group, json=ops, source=source)]
    if key == "patchesJson6902":
        return []
    return [p for p in (_strategic(d, target, source) for d in docs) if p is not None]


def _from_data(path: str, data, read: set[str], documents=None) -> _Kustomization | None:
    if not isinstance(data, dict):
        return None

    def text(key: str) -> str:
        v = data.get(key)
        return v if isinstance(v, str) else ""

    k = _Kustomization(path, Transform(text("namespace") or None, text("namePrefix"), text("nameSuffix")),
                       component=text("kind") == "Component")
    here = os.path.dirname(path)
    for key in ("patchesStrategicMerge", "patches", "patchesJson6902"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            k.edits.extend(_patches(key, entry, path, documents))
            ref = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(ref, str) and ref and "\n" not in ref:
                target = os.path.normpath(os.path.join(here, ref))
                if target in read:
                    k.patches.append(target)
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, str) or not entry:
                continue
            target = os.path.normpath(os.path.join(here, entry))
            if target in read:
                k.files.append(target)
            elif is_remote(entry, here):
                continue                   # remote bases are never fetched
            else:                          # a directory: followed when it has a kustomization
                k.children.append(target)
                if key == "components":
                    k.components.append(target)
    return k
