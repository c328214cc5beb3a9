"""``--kustomize``: lint what ``kubectl kustomize DIR`` renders, reported at the source files.

Each PATH that is a directory holding a kustomization file is rendered with the user's
``kubectl`` (kustomize is built into it).  A directory PATH that holds none (a repository
with ``overlays/prod`` and ``base`` below it) is read as usual, and every *root*
kustomization found in it (one that no other lists: ``kustomization.py``; never a
Component) is rendered as if it had been given as a PATH, each its own deployment unit;
of that PATH's files, those a kustomization lists or patches with, the kustomization files,
and everything under a root's directory are seen through the renderings only (as under a
kustomization PATH), the rest is linted plainly.  Other PATHs are read as usual.  Nothing is fetched
or executed by netpol-lint itself, and no kustomize plugin runs: neither
``--enable-alpha-plugins`` nor ``--enable-helm`` is passed.  Nor does kubectl touch the
network for us: a kustomization (or one it lists, locally, at any depth) that names a
*remote* resource, base, component, generator or transformer (a URL, ``git@…``,
``github.com/org/repo//dir?ref=…``) would make kubectl fetch it, so that directory is not
rendered: exit 2 with one line naming the file and the entry, and what to do (render it
yourself and pipe it in, or ``--exclude`` it).  A root *found* inside a directory PATH (one
the user never named) that would download or does not build does not stop the run: it is
an input problem of its kustomization file (NPL001, kubectl's reason) and the files only it
reads are linted plainly, so one broken overlay does not hide a whole repository.

Origins: the directory is rendered through a throw-away wrapper kustomization, in a
temporary directory, that lists it as its only resource and sets
``buildMetadata: [originAnnotations]``.  kustomize then annotates every object with the file
it came from (``config.kubernetes.io/origin``), without anyone editing the user's
kustomization (whose deployed output would otherwise carry the annotation too).  ``origins.py``
maps findings back through it.  If the wrapper cannot be built, the directory is rendered
plainly and findings stay on the rendered stream.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from ..errors import InputError
from .documents import Location
from .kustomization import KUSTOMIZATION_NAMES, is_remote, read_kustomization, read_placements
from .loader import InputProblem, Limits, SourceFile, parse_text
from .origins import RenderedFile

TIMEOUT_SECONDS = 300
REFERENCE_KEYS = ("resources", "bases", "components", "generators", "transformers", "validators")
MAX_DEPTH = 32


class KustomizeError(InputError):
    """kubectl missing or the kustomization does not build (exit 2)."""


def kustomization_file(directory: str) -> str | None:
    """The kustomization file of ``directory`` (None: not a kustomization root)."""
    if directory == "-" or not os.path.isdir(directory):
        return None
    for name in KUSTOMIZATION_NAMES:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def _patch_paths(data: dict) -> list[str]:
    out = [e for e in data.get("patchesStrategicMerge") or [] if isinstance(e, str) and "\n" not in e]
    for key in ("patches", "patchesJson6902"):
        for e in data.get(key) or []:
            if isinstance(e, dict) and isinstance(e.get("path"), str):
                out.append(e["path"])
    return out


def _walk(directory: str) -> tuple[set[str], tuple[str, str] | None]:
    """``(local files, first remote reference)`` of ``directory``'s kustomization and of every
    local one it lists, however deep: the files (absolute) are the kustomization files, the
    resources and the patches kubectl reads; the reference is ``(kustomization file, entry)``.

    Remote means what ``kustomization.is_remote`` says (plain reading skips the same
    entries); kustomization files are read by ``kustomization.read_kustomization``, at most
    32 levels deep."""
    files: set[str] = set()
    remote: tuple[str, str] | None = None
    seen: set[str] = set()
    stack = [(os.path.abspath(directory), 0)]
    while stack:
        here, depth = stack.pop()
        if here in seen or depth > MAX_DEPTH:
            continue
        seen.add(here)
        kfile = kustomization_file(here)
        data = None if kfile is None else read_kustomization(kfile)
        if kfile is None or not isinstance(data, dict):
            continue                          # kubectl reports an unreadable kustomization itself
        files.add(kfile)
        files.update(os.path.normpath(os.path.join(here, e)) for e in _patch_paths(data))
        for key in REFERENCE_KEYS:
            entries = data.get(key)
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, str) or "\n" in entry:
                    continue                  # an inline generator/transformer configuration
                target = os.path.normpath(os.path.join(here, entry))
                if os.path.isdir(target):
                    stack.append((target, depth + 1))
                elif os.path.isfile(target):
                    files.add(target)
                elif remote is None and is_remote(entry, here):
                    remote = (kfile, entry)
    return files, remote


def remote_reference(directory: str) -> tuple[str, str] | None:
    """``(kustomization file, entry)`` of the first remote reference in ``directory``'s
    kustomization or in any local one it lists (None: everything is local)."""
    return _walk(directory)[1]


def find_kubectl() -> str:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise KustomizeError("--kustomize needs kubectl on PATH (it runs 'kubectl kustomize DIR'); install kubectl "
                             "or pipe the rendered output instead: kustomize build DIR | netpol-lint -")
    return kubectl


def _run(kubectl: str, directory: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([kubectl, "kustomize", directory], capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise KustomizeError(f"kubectl kustomize {directory} did not finish within {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise KustomizeError(f"cannot run {kubectl}: {exc.strerror or exc}") from None


def _first_error(stderr: str) -> str:
    """kubectl's error without klog's prefix (``E1126 08:59:51 … "command failed" err="…"``)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in lines:
        if 'err="' in ln:
            return ln.split('err="', 1)[1].rstrip('"').replace('\\"', '"')
        if ln.lower().startswith("error"):
            return ln
    return lines[0] if lines else "no error message"


def render(directory: str, kubectl: str | None = None) -> tuple[str, str | None]:
    """``(rendered YAML, origin root)``; the root is None when origins are not available."""
    remote = remote_reference(directory)
    if remote is not None:
        from .loader import display_path

        kfile, entry = remote
        raise KustomizeError(
            f"{display_path(kfile)}: {entry!r} is remote: 'kubectl kustomize {display_path(directory)}' would "
            "download it and netpol-lint never touches the network; render it yourself and pipe it in "
            f"(kubectl kustomize {display_path(directory)} | netpol-lint -) or --exclude the directory")
    kubectl = kubectl or find_kubectl()
    with tempfile.TemporaryDirectory(prefix="netpol-lint-kustomize-") as tmp:
        rel = os.path.relpath(os.path.abspath(directory), tmp).replace(os.sep, "/")
        with open(os.path.join(tmp, "kustomization.yaml"), "w", encoding="utf-8") as fh:
            fh.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                     f"resources:\n  - {rel!s}\nbuildMetadata: [originAnnotations]\n")
        wrapped = _run(kubectl, tmp)
        if wrapped.returncode == 0:
            return wrapped.stdout, tmp
    plain = _run(kubectl, directory)
    if plain.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {directory} failed: {_first_error(plain.stderr)}")
    return plain.stdout, None


def rendered_file(directory: str, kubectl: str | None = None, limits: Limits = Limits()) -> RenderedFile:
    """Render ``directory`` into a source file named after its kustomization file."""
    from .loader import display_path

    text, root = render(directory, kubectl)
    src = RenderedFile(display_path(kustomization_file(directory) or directory), origin_root=root)
    return parse_text(src, text, limits)


def split_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """``(plain paths, kustomization directories)`` in the given order."""
    plain, dirs = [], []
    for p in paths:
        (dirs if kustomization_file(p) else plain).append(p)
    return plain, dirs


def nested_roots(files: list[SourceFile]) -> tuple[list[str], set[str]]:
    """``(root directories, files seen through them)`` of the kustomizations among ``files``
    (files read from a directory PATH that is no kustomization root itself)."""

    paths = {f.path: os.path.abspath(f.path) for f in files if f.path != "-"}
    parsed = {paths[f.path]: f.documents[0].data for f in files
              if f.path in paths and os.path.basename(f.path) in KUSTOMIZATION_NAMES[:2]
              and f.documents and not f.problems}
    on_disk = {os.path.dirname(p) for p in paths.values()}
    placements = read_placements(list(paths.values()), parsed, on_disk)
    roots = sorted(r for r in placements.roots if kustomization_file(r))
    if not roots:
        return [], set()
    seen = set()
    for shown, p in paths.items():
        if (p in placements.listed or os.path.basename(p) in KUSTOMIZATION_NAMES
                or any(p.startswith(r + os.sep) for r in roots)):
            seen.add(shown)
    return roots, seen


def _render_found(roots: list[str], kubectl: str, limits: Limits) -> tuple[list[SourceFile], dict[str, str]]:
    """Renderings of the roots found inside a directory PATH, and why the others were not
    rendered (root -> reason).  The user named the directory, not these kustomizations: one
    that does not build, or would download, is an input problem of its kustomization file
    (NPL001) and its files are read plainly, while the rest of the run goes on."""
    from .loader import display_path

    out, failed = [], {}
    for r in roots:
        try:
            out.append(rendered_file(display_path(r), kubectl, limits))
        except KustomizeError as exc:
            failed[r] = str(exc)
    return out, failed


def _seen_despite(files: list[SourceFile], seen: set[str], rendered: list[str], failed: dict[str, str]) -> set[str]:
    """``seen`` without the files only a kustomization that failed reads: those are linted plainly."""
    def reach(roots) -> tuple[set[str], tuple[str, ...]]:
        local: set[str] = set()
        for r in roots:
            local |= _walk(r)[0]
        return local, tuple(r + os.sep for r in roots)

    ok_files, ok_dirs = reach(rendered)
    bad_files, bad_dirs = reach(failed)
    out = set()
    for shown in seen:
        p = os.path.abspath(shown)
        if (p in bad_files or p.startswith(bad_dirs)) and not (p in ok_files or p.startswith(ok_dirs)):
            continue
        out.add(shown)
    return out


def read_rendered(paths: list[str], excludes: list[str], jobs: int | None, limits: Limits,
                  stdin_text: str | None = None) -> tuple[list[SourceFile], list[SourceFile]]:
    """``(files, skipped)`` of ``paths`` with kustomization directories rendered (``--kustomize``):
    the plain files read as usual and the renderings, by path (skipped files apart).  The root
    kustomizations inside a directory PATH are rendered too (see the module's docstring)."""
    from .loader import display_path
    from .reader import read

    kubectl = find_kubectl()
    plain, dirs = split_paths(paths)
    files = read(plain, limits, jobs, excludes=excludes, stdin_text=stdin_text) if plain else []
    found: list[SourceFile] = []
    if any(os.path.isdir(p) for p in plain):
        roots, seen = nested_roots(files)
        given = {os.path.abspath(d) for d in dirs}
        found, failed = _render_found([r for r in roots if r not in given], kubectl, limits)
        if failed:
            seen = _seen_despite(files, seen, [r for r in roots if r not in failed], failed)
            for f in files:
                reason = failed.get(os.path.dirname(os.path.abspath(f.path)))
                if reason is not None and os.path.basename(f.path) in KUSTOMIZATION_NAMES:
                    problem = InputProblem("unreadable", reason + "; the files it lists are linted plainly",
                                           Location.whole_file(f.path))
                    f.problems = [*f.problems, problem]     # read files keep their problems as a tuple
                    seen.discard(f.path)
        files = [f for f in files if f.path not in seen]
    rendered = [rendered_file(d, kubectl, limits) for d in dirs] + found
    if not rendered:
        return [f for f in files if f.skipped is None], [f for f in files if f.skipped]
    ordered = sorted([f for f in files if f.skipped is None] + rendered, key=lambda f: (f.path != "-", f.path))
    return ordered, [f for f in files if f.skipped]
