"""``json.dumps(obj, indent=2, ensure_ascii=False)``, byte for byte, several times faster.

With ``indent`` set, the standard library gives up its C encoder and walks the document in
pure-Python generators; for a report of tens of thousands of findings that was a visible
share of a whole lint run.  Reports are plain trees of dicts, lists, strings, numbers,
booleans and None, which this encoder writes directly (strings through the C string
escaper).  Anything else -- non-string keys, other types, cycles -- goes to ``json.dumps``
itself, so the result (or the error) is always the standard library's.
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring

_FLOAT_REPR = float.__repr__


class _Unusual(Exception):
    """A value this encoder leaves to ``json.dumps``."""


class Stream:
    """A JSON array whose items are made only when ``iter_indent2`` reaches them, so a
    report's findings need not all exist as dicts, nor as text, at the same time."""

    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items


def iter_indent2(obj, end: str = ""):
    """The text of ``json.dumps(obj, indent=2, ensure_ascii=False) + end`` in pieces.

    Containers that hold a ``Stream`` are written member by member, a ``Stream`` item by
    item (each item one piece, made when reached); everything else is one piece.  An item
    this encoder leaves to ``json.dumps`` is dumped on its own and indented to its place --
    exact, because JSON strings never hold a raw newline.
    """
    yield from _pieces(obj, "\n")
    yield end


def _pieces(value, nl: str):
    inner = nl + "  "
    if type(value) is Stream:
        sep = "[" + inner
        for v in value.items:
            yield sep
            yield _one(v, inner)
            sep = "," + inner
        yield "[]" if sep[0] == "[" else nl + "]"
    elif not _holds_stream(value):
        yield _one(value, nl)
    elif type(value) is dict:
        if not value:
            yield "{}"
            return
        if any(type(k) is not str for k in value):
            raise TypeError("a streamed JSON object needs string keys")
        sep = "{" + inner
        for k, v in value.items():
            yield f"{sep}{encode_basestring(k)}: "
            yield from _pieces(v, inner)
            sep = "," + inner
        yield nl + "}"
    else:                                   # a list or tuple holding a Stream
        sep = "[" + inner
        for v in value:
            yield sep
            yield from _pieces(v, inner)
            sep = "," + inner
        yield "[]" if sep[0] == "[" else nl + "]"


def _holds_stream(value) -> bool:
    t = type(value)
    if t is Stream:
        return True
    if t is dict:
        return any(_holds_stream(v) for v in value.values())
    if t is list or t is tuple:
        return any(_holds_stream(v) for v in value)
    return False


def _one(value, nl: str) -> str:
    piece: list[str] = []
    try:
        _encode(value, piece, nl)
    except (_Unusual, RecursionError):
        return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", nl)
    return "".join(piece)


def dumps_indent2(obj, end: str = "") -> str:
    """Exactly ``json.dumps(obj, indent=2, ensure_ascii=False) + end``."""
    return _one(obj, "\n") + end


def _encode(value, out: list, nl: str) -> None:
    t = type(value)
    if t is dict:
        if not value:
            out.append("{}")
            return
        inner = nl + "  "
        sep = "{" + inner
        for k, v in value.items():
            if type(k) is not str:
                raise _Unusual
            vt = type(v)                   # scalars inline: most values are
            if vt is str:
                out.append(f"{sep}{encode_basestring(k)}: {encode_basestring(v)}")
            elif vt is int:
                out.append(f"{sep}{encode_basestring(k)}: {int.__repr__(v)}")
            elif v is None or vt is bool:
                out.append(f"{sep}{encode_basestring(k)}: {_CONSTANTS[v]}")
            else:
                out.append(f"{sep}{encode_basestring(k)}: ")
                _encode(v, out, inner)
            sep = "," + inner
        out.append(nl + "}")
    elif t is list or t is tuple:
        if not value:
            out.append("[]")
            return
        inner = nl + "  "
        sep = "[" + inner
        for v in value:
            out.append(sep)
            # each item becomes one string: a report of 100k findings would otherwise hold
            # millions of small pieces until the final join (hundreds of MB at peak)
            piece: list[str] = []
            _encode(v, piece, inner)
            out.append("".join(piece))
            sep = "," + inner
        out.append(nl + "]")
    elif t is str:
        out.append(encode_basestring(value))
    elif value is None or t is bool:
        out.append(_CONSTANTS[value])
    elif t is int:
        out.append(int.__repr__(value))
    elif t is float and value == value and value not in (float("inf"), float("-inf")):
        out.append(_FLOAT_REPR(value))
    else:
        raise _Unusual


_CONSTANTS = {None: "null", True: "true", False: "false"}
