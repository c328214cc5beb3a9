"""File writing that never leaves a partial file behind (reports, --fix, baselines)."""
from __future__ import annotations

import os
import tempfile


def write_atomic(path: str, data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same directory and a rename.

    A crash at any point leaves either the old file or the new one, never a mix.  The old
    file's permission bits are kept unless ``mode`` is given.
    """
    if os.path.exists(path) and not os.path.isfile(path):
        # a device or FIFO (``--output /dev/stdout``): never replace it with a regular file
        with open(path, "wb") as fh:
            fh.write(data)
        return
    directory = os.path.dirname(os.path.abspath(path)) or "."
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=".netpol-lint-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
