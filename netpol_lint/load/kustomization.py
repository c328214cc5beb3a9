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

The directories of root kustomizations (listed by no other) are deployment units
(model/units.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

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


@dataclass
class _Kustomization:
    path: str
    own: Transform
    component: bool = False                                # kind: Component (never a root)
    files: list[str] = field(default_factory=list)
    patches: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)      # directories of listed kustomizations


@dataclass
class Placements:
    """What the kustomizations of the input say: a transform per listed file, and roots."""

    transforms: dict[str, Transform] = field(default_factory=dict)     # file -> transform
    roots: set[str] = field(default_factory=set)                      # root kustomization directories
    listed: set[str] = field(default_factory=set)     # files some kustomization lists or patches with
    patches: set[str] = field(default_factory=set)    # files used only as patches (not resources)


def read_placements(files: list[str], parsed: dict[str, object] | None = None,
                    on_disk: set[str] | frozenset = frozenset()) -> Placements:
    """Placements for ``files`` (absolute paths of the files read).

    ``parsed`` maps the path of each ``kustomization.yaml``/``.yml`` among them to its data
    (the loader read them like any YAML file, from disk or from git objects alike); only the
    extension-less ``Kustomization``, which the walker does not read, is looked for on disk,
    in the directories of ``on_disk`` files.
    """
    read = set(files)
    parsed = parsed or {}
    found: dict[str, _Kustomization] = {}
    for d in sorted({os.path.dirname(f) for f in files}):
        k = None
        for name in KUSTOMIZATION_NAMES[:2]:
            path = os.path.join(d, name)
            if path in parsed:
                k = _from_data(path, parsed[path], read)
                break
        if k is None and d in on_disk:
            candidate = os.path.join(d, KUSTOMIZATION_NAMES[2])
            if os.path.isfile(candidate):
                k = _read(candidate, read)
        if k is not None:
            found[d] = k
    if not found:
        return Placements()
    parents: dict[str, list[str]] = {}
    for d, k in found.items():
        k.children = [c for c in k.children if c in found and c != d]
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

    placements = Placements(roots=set(roots))
    for k in found.values():
        placements.listed.update(k.files)
        placements.listed.update(k.patches)
        placements.patches.update(k.patches)
    placements.patches -= {f for k in found.values() for f in k.files}
    listed: dict[str, list[tuple[str, Transform]]] = {}
    for d in sorted(found):
        t = resolve(d)
        for f in found[d].files:
            listed.setdefault(f, []).append((d, t))
    for f, entries in listed.items():
        kinds = {t for _, t in entries}
        if len(kinds) == 1:
            t = kinds.pop()
        else:                              # nearest kustomization: the deepest directory containing f
            above = [(len(d), t) for d, t in entries if f.startswith(d + os.sep)]
            t = max(above)[1] if above else Transform()
        if not t.empty:
            placements.transforms[f] = t
    return placements


def _read(path: str, read: set[str]) -> _Kustomization | None:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES:
        return None
    try:
        data = load_yaml_data(raw.decode("utf-8"), Limits(max_file_bytes=MAX_BYTES))
    except (YAMLDataError, UnicodeDecodeError):
        return None
    return _from_data(path, data, read)


def _from_data(path: str, data, read: set[str]) -> _Kustomization | None:
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
            ref = entry.get("path") if isinstance(entry, dict) else entry
            if isinstance(ref, str) and ref and "\n" not in ref:
                target = os.path.normpath(os.path.join(here, ref))
                if target in read:
                    k.patches.append(target)
    for key in ("resources", "bases", "components"):
        entries = data.get(key)
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, str) or not entry or "://" in entry or entry.startswith(("git@", "github.com/")):
                continue                   # remote bases are never fetched
            target = os.path.normpath(os.path.join(here, entry))
            if target in read:
                k.files.append(target)
            else:                          # a directory: followed when it has a kustomization
                k.children.append(target)
    return k
