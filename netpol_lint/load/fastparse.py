"""The loader's fast path: libyaml events straight to data, and positions found by streaming.

The general loader (``loader.parse_text``) composes a node tree per document in Python
(``compose.Composer``) and then builds data from it (``construct.Builder``): two Python
passes over every node, about twice what libyaml's own ``compose_all`` costs.  Most manifests
need none of what makes that general path necessary -- no anchors or aliases, no merge keys,
no duplicate keys, nothing over a limit, no syntax error -- so this module builds the data in
one pass over the events, with scalar resolution cached by text (keys and common values
repeat thousands of times; the cache also makes equal strings one object, which saves
memory).

It is all-or-nothing per file: at the first thing it does not handle, it gives up and the
caller parses the file with the general path, which then reports exactly what it always
reported.  Giving up is only ever a cost, never a different result.

Documents built here are ``StreamedDocument``s: their positions are found by re-reading the
document's events from where it starts and stopping as soon as the node is known, instead of
composing the whole document again (findings are mostly near the top: names, labels).
"""
from __future__ import annotations

import bisect
from typing import Any

import yaml
from yaml.resolver import Resolver

from .construct import MERGE_TAG, STR_TAG, key_text, mapping_key, scalar_value
from .documents import Document, Location, span
from .text import TextFrom

try:  # the bare libyaml parser: events are all this module reads (no constructor, resolver)
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = yaml.SafeLoader

_RESOLVER = Resolver()
_MISS = object()
_BAIL = object()                # a key the fast path does not handle (merge, null)
_AWAIT, _LIST, _ROOT = object(), object(), object()   # parse states (see _events_to_documents)
_CACHE_LIMIT = 200_000          # entries per cache before it is emptied (bounds memory)
# The general Builder recurses in Python; deeper documents go to it so that it can report
# them the way it does (only reachable with a raised --max-depth).
_MAX_FAST_DEPTH = 300

_plain_values: dict[str, Any] = {}   # plain scalar text -> constructed value
_plain_keys: dict[str, Any] = {}     # plain scalar text -> mapping key text (or _BAIL)
_strings: dict[str, str] = {}        # quoted scalar text -> one shared str object
def _intern(raw: str) -> str:
    """One shared object per quoted string (repeated values cost their memory once)."""
    if len(_strings) >= _CACHE_LIMIT:
        _strings.clear()
    _strings[raw] = raw
    return raw


class _GiveUp(Exception):
    """Something the fast path leaves to the general loader."""


def _plain_value(raw: str) -> Any:
    tag = _RESOLVER.resolve(yaml.ScalarNode, raw, (True, False))
    value = scalar_value(yaml.ScalarNode(tag, raw, None, None))
    if len(_plain_values) >= _CACHE_LIMIT:
        _plain_values.clear()
    _plain_values[raw] = value
    return value


def _plain_key(raw: str) -> Any:
    key = _tagged_key(_RESOLVER.resolve(yaml.ScalarNode, raw, (True, False)), raw)
    if len(_plain_keys) >= _CACHE_LIMIT:
        _plain_keys.clear()
    _plain_keys[raw] = key
    return key


def _tagged_key(tag: str, raw: str) -> Any:
    if tag == MERGE_TAG:
        return _BAIL
    key = key_text(scalar_value(yaml.ScalarNode(tag, raw, None, None)))
    return _BAIL if key is None else key


def origin_at(origins: list[tuple[int, str]], line: int) -> str | None:
    """The ``# Source:`` in force at 0-based ``line`` (the last one at or above it)."""
    i = bisect.bisect_right(origins, (line, "\U0010ffff"))
    return origins[i - 1][1] if i else None


def fast_parse(src, stream, limits, origins: list | None) -> bool:
    """Fill ``src.documents`` from ``stream`` (the whole file) in one pass; True on success.

    On False nothing in ``src`` was changed and the caller must use the general path.
    """
    try:
        documents = _build(src, stream, limits, origins)
    except (_GiveUp, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return False
    src.documents.extend(documents)
    return True


def _build(src, stream, limits, origins):
    shown = src.path
    loader = _Parser(stream)
    try:
        return _events_to_documents(loader, shown, src, limits, origins)
    finally:
        try:
            loader.dispose()
        except Exception:
            pass


def _events_to_documents(loader, shown, src, limits, origins):
    get_event = loader.get_event
    max_depth = min(limits.max_depth, _MAX_FAST_DEPTH)
    max_nodes = limits.max_nodes_per_document
    ScalarEvent, MapStart, SeqStart = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    MapEnd, SeqEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent
    DocStart, StreamEnd, StreamStart = yaml.DocumentStartEvent, yaml.StreamEndEvent, yaml.StreamStartEvent
    plain_values, plain_keys, strings = _plain_values, _plain_keys, _strings
    AWAIT, LIST, ROOT = _AWAIT, _LIST, _ROOT
    documents: list[Document] = []
    index = 0
    while True:
        event = get_event()
        cls = event.__class__
        if cls is StreamStart:
            continue
        if cls is StreamEnd:
            return documents
        if cls is not DocStart:  # pragma: no cover - libyaml's event grammar
            raise _GiveUp
        mark = event.start_mark
        doc_start = _FILE_START if mark.index == mark.column == mark.line == 0 else (mark.index - mark.column, mark.line)
        # ``cur`` is the open collection and ``state`` what it waits for: AWAIT (a mapping's
        # next key), the pending key (its value), LIST, or ROOT (the document's node);
        # ``stack`` saves the enclosing (cur, state) pairs, one per open collection.
        stack: list[tuple] = []
        cur: Any = None
        state: Any = ROOT
        count = 0
        root_line = -1
        metadata: Any = None             # the root's metadata mapping, while it is open
        name_at = None                   # where metadata.name's value is (see "noted positions")
        labels: Any = None               # a pod template's labels mapping, while it is open
        labels_first = labels_last = labels_at = None
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:
                if event.anchor is not None:
                    raise _GiveUp
                count += 1
                tag = event.tag
                raw = event.value
                if state is AWAIT:       # a mapping key
                    if tag is None or tag == "!":
                        if event.implicit[0]:
                            key = plain_keys.get(raw, _MISS)
                            if key is _MISS:
                                key = _plain_key(raw)
                            if key is _BAIL:
                                raise _GiveUp
                        else:
                            key = strings.get(raw)
                            if key is None:
                                key = _intern(raw)
                    else:
                        key = _tagged_key(tag, raw)
                        if key is _BAIL:
                            raise _GiveUp
                    if key in cur:
                        raise _GiveUp    # duplicate key: the general path reports it
                    state = key
                    continue
                if tag is None or tag == "!":
                    if event.implicit[0]:
                        value = plain_values.get(raw, _MISS)
                        if value is _MISS:
                            value = _plain_value(raw)
                    else:
                        value = strings.get(raw)
                        if value is None:
                            value = _intern(raw)
                elif tag == STR_TAG:
                    value = raw
                else:
                    value = scalar_value(yaml.ScalarNode(tag, raw, None, None))
                if count > max_nodes:
                    raise _GiveUp
                if state is LIST:
                    cur.append(value)
                elif state is ROOT:
                    root_line = event.start_mark.line
                    break
                else:
                    if cur is metadata and state == "name":
                        name_at = _pack(span(event.start_mark, event.end_mark))
                    elif cur is labels:
                        labels_last = event
                    cur[state] = value
                    state = AWAIT
            elif cls is MapStart or cls is SeqStart:
                if event.anchor is not None or len(stack) >= max_depth or state is AWAIT:
                    raise _GiveUp        # (AWAIT: a collection as a mapping key)
                count += 1
                if count > max_nodes:
                    raise _GiveUp
                if state is ROOT:
                    root_line = event.start_mark.line
                stack.append((cur, state))
                if cls is MapStart:
                    if len(stack) == 2 and state == "metadata":
                        metadata = cur = {}
                        state = AWAIT
                    elif state == "labels" and stack[-2][1] == "metadata" and len(stack) in _TEMPLATE_DEPTHS:
                        labels = cur = {}
                        state = AWAIT
                        labels_first, labels_last = event, None
                    else:
                        labels = None    # (nested in labels: not a labels mapping to note)
                        cur, state = {}, AWAIT
                else:
                    labels = None
                    cur, state = [], LIST
            elif cls is MapEnd or cls is SeqEnd:
                value = cur
                if cur is labels:
                    labels_at = _template_labels(stack, labels_first, event, labels_last)
                    labels = None
                cur, state = stack.pop()
                if state is LIST:
                    cur.append(value)
                elif state is ROOT:
                    break
                else:
                    cur[state] = value
                    state = AWAIT
            else:                        # an alias (or anything unexpected)
                raise _GiveUp
        get_event()                      # DocumentEndEvent
        if value is None or value == "":
            index += 1
            continue                     # bare '---' or comment-only document
        origin = origin_at(origins, root_line) if origins else None
        documents.append(StreamedDocument(shown, index, value, None, origin, src, doc_start, name_at, labels_at))
        index += 1


class StreamedDocument(Document):
    """A document whose positions are found by streaming its events.

    Made by the fast path, and by the general path for every document without duplicate
    keys: then the node at a path is the first one the events lead to, and the search can
    stop there.  A path through an alias (whose node is the anchor's, elsewhere) falls back
    to composing the document, as do node trees (``root``/``node_at``).
    """

    __slots__ = ()

    def locate(self, path: tuple = (), key: bool = False) -> Location:
        hit = self._cached(path, key)
        if hit is not None:
            return hit
        if not key:             # noted while parsing: decoded each time, no need to remember
            if self.name_at is not None and path == NAME_PATH:
                return _unpack(self.path, self.name_at)
            if self.labels_at is not None and path == self.labels_at[0]:
                return _unpack(self.path, self.labels_at[1])
        loc = _stream_locate(self, path, key)
        if loc is None:
            return Document.locate(self, path, key)
        return self._remember(path, key, loc)


# -- noted positions -------------------------------------------------------------------------
# Most findings point at a document's metadata.name (NPL004 alone reports tens of thousands
# on large inputs) or at a pod template's labels (NPL101-NPL105).  The fast path notes where
# those two are while it parses -- a packed int per document, a pair for workloads -- so that
# locating them later needs neither the file's text nor a second parse.
NAME_PATH = ("metadata", "name")
_FILE_START = (0, 0)                     # one shared start for every file's first document
# The two places a pod template's labels live (controllers and Jobs; CronJobs), one shared
# tuple each; keyed by the stack depth at which such a labels mapping opens.
_TEMPLATE_LABELS = {
    5: ("spec", "template", "metadata", "labels"),
    7: ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
}
_TEMPLATE_DEPTHS = frozenset(_TEMPLATE_LABELS)
_BITS = 20                               # per field; wider positions are simply not noted


def _template_labels(stack: list, first, end, last) -> tuple | None:
    """(path, packed span) of the labels mapping closing now, if it is a pod template's."""
    path = _TEMPLATE_LABELS.get(len(stack))
    if path is None or tuple(s for _, s in stack[1:]) != path:
        return None
    packed = _pack(span(first.start_mark, end.end_mark, last))
    return None if packed is None else (path, packed)


def _pack(where: tuple[int, int, int, int]) -> int | None:
    packed = 0
    for v in where:
        if v >> _BITS:
            return None
        packed = (packed << _BITS) | v
    return packed


def _unpack(shown: str, packed: int) -> Location:
    mask = (1 << _BITS) - 1
    return Location(shown, packed >> 3 * _BITS, (packed >> 2 * _BITS) & mask, (packed >> _BITS) & mask,
                    packed & mask)


def _stream_locate(doc: StreamedDocument, path: tuple, key: bool) -> Location | None:
    """The location ``Document.locate`` would give, read from the events (None: cannot)."""
    text = doc.source.text if doc.source is not None else None
    start = doc.start
    if text is None or start is None:
        return None
    parser = _Parser(TextFrom(text, start[0]) if start[0] else text)
    try:
        return _walk(parser.get_event, doc.path, path, key, start[1])
    except (yaml.YAMLError, _GiveUp, ValueError, TypeError):
        return None
    finally:
        try:
            parser.dispose()
        except Exception:
            pass


def _walk(get_event, shown: str, path: tuple, key: bool, line0: int) -> Location | None:
    """Follow ``path`` through the events of one document.

    Where the path ends -- at its node, or at the nearest existing parent -- the location is
    built like ``Location.of_node``: a block collection's end is clamped with the help of its
    last scalar, which ``_skip`` reports for every subtree it consumes (the last event that
    is not a collection end, and how many ends followed it).
    """
    event = get_event()
    if event.__class__ is yaml.StreamStartEvent:
        event = get_event()
    if event.__class__ is not yaml.DocumentStartEvent:
        return None
    node = get_event()                   # the root node's first event
    depth, n = 0, len(path)
    while True:
        cls = node.__class__
        if cls is yaml.ScalarEvent:      # the target, or the nearest parent of a longer path
            return _location(shown, node.start_mark, node.end_mark, line0)
        if cls is yaml.AliasEvent:
            raise _GiveUp                # the node is the anchor's, elsewhere: compose instead
        if depth == n:
            end, last, ends = _skip(get_event, node)
            return _end_location(shown, node, end, last, ends, line0)
        step = path[depth]
        last_step = depth == n - 1
        last, ends = node, 0             # the last child's tail, for an absent step
        if cls is yaml.MappingStartEvent:
            while True:
                k = get_event()
                kcls = k.__class__
                if kcls is yaml.MappingEndEvent:     # no such key: the mapping itself
                    return _end_location(shown, node, k, last, ends + 1, line0)
                if kcls is not yaml.ScalarEvent:
                    raise _GiveUp
                name = _plain_keys.get(k.value) if k.tag is None and k.implicit[0] else None
                if name is None or name is _BAIL:
                    name = _event_key(k)
                if name == step:
                    if key and last_step:
                        return _location(shown, k.start_mark, k.end_mark, line0)
                    found = get_event()
                    break
                value = get_event()
                if value.__class__ is yaml.ScalarEvent or value.__class__ is yaml.AliasEvent:
                    last, ends = value, 0
                else:
                    _, last, ends = _skip(get_event, value)
        elif cls is yaml.SequenceStartEvent:
            if not isinstance(step, int) or isinstance(step, bool) or step < 0:
                raise _GiveUp            # negative indices need the length: compose instead
            i = 0
            while True:
                found = get_event()
                fcls = found.__class__
                if fcls is yaml.SequenceEndEvent:   # too short: the sequence itself
                    return _end_location(shown, node, found, last, ends + 1, line0)
                if i == step:
                    break
                if fcls is yaml.ScalarEvent or fcls is yaml.AliasEvent:
                    last, ends = found, 0
                else:
                    _, last, ends = _skip(get_event, found)
                i += 1
        else:
            raise _GiveUp
        node = found
        depth += 1


def _skip(get_event, first) -> tuple:
    """Consume the collection opened by ``first``: (its end event, the last event that was
    not a collection end, how many ends came in a row up to and including its own)."""
    level, last, ends = 1, first, 0
    while True:
        event = get_event()
        c = event.__class__
        if c is yaml.MappingEndEvent or c is yaml.SequenceEndEvent:
            level -= 1
            ends += 1
            if not level:
                return event, last, ends
        elif c is yaml.MappingStartEvent or c is yaml.SequenceStartEvent:
            level += 1
            last, ends = event, 0
        elif c is yaml.ScalarEvent or c is yaml.AliasEvent:
            last, ends = event, 0
        else:
            raise _GiveUp


def _end_location(shown: str, first, end, last, ends: int, line0: int) -> Location:
    """Location of the collection opened by ``first`` and closed by ``end``."""
    # Location.of_node clamps a block collection's end using its last scalar, reached by
    # following the last child down at most 64 steps: here, the event just before the run
    # of closing events (``ends`` counts this collection's own end too).
    if last.__class__ is yaml.AliasEvent:
        raise _GiveUp                    # the chain would continue inside the anchored node
    hint = last if last.__class__ is yaml.ScalarEvent and ends <= 64 else None
    return _location(shown, first.start_mark, end.end_mark, line0, hint)


_locate_keys: dict[tuple, Any] = {}     # (tag, plain?, text) -> construct.mapping_key


def _event_key(event) -> Any:
    """The key a key event stands for, as ``Document.node_at`` compares it (``mapping_key``)."""
    ck = (event.tag, event.implicit[0], event.value)
    k = _locate_keys.get(ck, _MISS)
    if k is _MISS:
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        k = mapping_key(yaml.ScalarNode(tag, event.value, None, None))
        if len(_locate_keys) >= _CACHE_LIMIT:
            _locate_keys.clear()
        _locate_keys[ck] = k
    return k


def _location(shown: str, start, end, line0: int, hint=None) -> Location:
    """``Location.of_node`` for marks read from a stream that starts at line ``line0``."""
    line, column, end_line, end_column = span(start, end, hint)
    return Location(shown, line + line0, column, end_line + line0, end_column)
