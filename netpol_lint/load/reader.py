"""The front door of ``load/``: paths in, parsed source files out.

``read(paths, limits, jobs)`` discovers the files, parses them (in parallel processes for
large inputs, see ``parallel.py``) and compacts what it keeps; everything above ``load/``
starts here.  Problems with the input itself are data (``SourceFile.problems``, turned into
NPL001/NPL002 by the rules layer); only a path that does not exist or cannot be listed is an
``InputError`` (exit 2).
"""
from __future__ import annotations

import gc
import os
import sys
from functools import partial
from typing import Any, Callable

from ..errors import InputError
from .loader import Limits, SourceFile, discover
from .parallel import read_files
from .share import forget as forget_shared, share

Packable = Callable[[Any], bool]


def read(paths: list[str] | tuple[str, ...], limits: Limits = Limits(), jobs: int | None = None, *,
         excludes: list[str] | tuple[str, ...] = (), stdin_text: str | None = None,
         packable: Packable | None = None, meanwhile: Callable[[], None] | None = None) -> list[SourceFile]:
    """The files ``paths`` name (``-``: standard input, unless ``stdin_text`` is given), read in
    order, skipped ones included.

    ``packable`` says which documents no analysis reads beyond their metadata (the model
    knows; ``model.resources.packable``): those are packed to save memory (docs/performance.md).
    ``meanwhile`` is called once in this process while the parse workers work (see
    ``parallel.read_files``).
    """
    files_to_read, missing = discover(list(paths), list(excludes))
    if missing:
        what = "cannot read directory" if os.path.lexists(missing[0]) else "path not found"
        raise InputError(f"{what}: {missing[0]}")
    if "-" in files_to_read and stdin_text is None:
        stdin_text = _read_stdin(limits.max_file_bytes)
    return read_all(files_to_read, stdin_text, jobs, limits, packable, meanwhile)



def compact(src: SourceFile, packable: Packable | None = None) -> None:
    """Shrink a file just read to what a run keeps (memory is the limit on large inputs; see
    docs/performance.md): its text is dropped (read again for the files that need a position
    or a comment), the documents no analysis looks into are packed, and equal parts of the
    others become one object (share.py)."""
    src.forget_text()
    for doc in src.documents:
        if packable is not None and packable(doc.head):
            doc.pack()
        share(doc.head)
    if not src.problems:
        src.problems = ()        # one shared empty tuple instead of a list per file


def _read_stdin(limit: int) -> str:
    """Standard input, bounded like a file (``--max-file-size``)."""
    if sys.stdin is None or sys.stdin.closed:
        return ""
    text = sys.stdin.read(limit + 1)
    if len(text) > limit:
        raise InputError(f"standard input is over the {limit}-byte limit (--max-file-size)")
    return text


def read_all(paths: list[str], stdin_text: str | None, jobs: int | None, limits: Limits,
             packable: Packable | None = None, meanwhile: Callable[[], None] | None = None) -> list[SourceFile]:
    """Read files in order, parsing in up to ``jobs`` processes (None: one per CPU; see
    parallel.py, which reads small inputs in this process).

    The cyclic garbage collector is paused while reading: the loader creates millions of
    long-lived node objects and no cycles, and with the collector on, repeated scans of that
    growing heap made loading ~6x slower than libyaml's own parse (measured on the corpus).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return read_files(paths, jobs, limits, stdin_text, finish=partial(compact, packable=packable),
                          meanwhile=meanwhile)
    finally:
        forget_shared()
        if was_enabled:
            gc.enable()
