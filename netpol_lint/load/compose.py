"""libyaml events -> node trees, iteratively, with limits on depth, size and aliases.

Why not PyYAML's own composer: the C composer (``CSafeLoader.get_node``) recurses once per
nesting level on the C stack, so a 200 kB file of ``[[[[...`` crashes the whole process with
a segmentation fault, and libyaml's scanner slows down with every open flow level (each
token costs time proportional to the depth: 1 MB of ``[`` takes tens of minutes).  This
composer builds the same ``yaml.Node`` trees from the event stream with an explicit stack
and stops a document as soon as it is nested deeper than ``max_depth`` or holds more than
``max_nodes`` nodes, before libyaml reaches the expensive part.

Other differences from PyYAML's composer, chosen to match kubectl (go-yaml v2):

* an alias to an anchor whose collection is still open (``&a [*a]``) is an error: it would
  make cyclic data that every later walk over the document would loop on;
* an anchor may be defined again; later aliases refer to the newest definition.

Marks can be shifted by a line offset, so documents parsed from the middle of a file (after
a syntax error, see ``loader.parse_text``) report the file's real line numbers.
"""
from __future__ import annotations

import yaml
from yaml.error import Mark

_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class LimitExceeded(Exception):
    """A document over a configured limit; ``mark`` is where (already shifted)."""

    def __init__(self, message: str, mark, offset: int):
        super().__init__(message)
        self.mark = mark
        self.offset = offset        # character offset of the mark inside the parsed stream


END = object()   # returned by ``compose_document`` at the end of the stream


class Composer:
    """Composes documents one at a time from a libyaml loader's events."""

    def __init__(self, loader, max_depth: int, max_nodes: int, line_offset: int = 0):
        self.loader = loader
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.line_offset = line_offset
        self.anchored_scalars: set[int] = set()   # ids of scalar nodes an alias may repeat
        self.doc_start = (0, 0)   # (offset of the line where the last document starts, its line)

    def _mark(self, mark):
        if not self.line_offset or mark is None:
            return mark
        return Mark(mark.name, mark.index, mark.line + self.line_offset, mark.column, None, None)

    def compose_document(self):
        """The next document's root node, or ``END``.  Raises ``yaml.YAMLError`` for syntax
        errors (marks unshifted, as libyaml reports them) and ``LimitExceeded``.

        After a document, ``doc_start`` is the stream offset of the line it starts on (and
        that line's number in the file), so that it can be composed again on its own
        (``SourceFile.node_for``).
        """
        loader = self.loader
        event = loader.get_event()
        if event.__class__ is yaml.StreamStartEvent:
            event = loader.get_event()
        if event.__class__ is yaml.StreamEndEvent:
            return END
        mark = event.start_mark                            # of a DocumentStartEvent
        self.doc_start = (mark.index - mark.column, mark.line + self.line_offset)
        anchors: dict[str, yaml.Node] = {}
        open_ids: set[int] = set()
        self.anchored_scalars = anchored = set()
        stack: list[list] = []           # [node, pending mapping key or None]
        count = 0
        max_depth, max_nodes = self.max_depth, self.max_nodes
        resolve = loader.resolve
        get_event = loader.get_event
        shift = self._mark if self.line_offset else None
        ScalarEvent, AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
        SeqStart, MapStart = yaml.SequenceStartEvent, yaml.MappingStartEvent
        SeqEnd, MapEnd = yaml.SequenceEndEvent, yaml.MappingEndEvent
        ScalarNode, SequenceNode, MappingNode = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
        while True:
            event = get_event()
            cls = event.__class__
            if cls is ScalarEvent:
                tag = event.tag
                style = event.style or None      # libyaml says '' for plain, PyYAML None
                if tag is None or tag == "!":
                    tag = resolve(ScalarNode, event.value, event.implicit)
                if shift is None:
                    node = ScalarNode(tag, event.value, event.start_mark, event.end_mark, style)
                else:
                    node = ScalarNode(tag, event.value, shift(event.start_mark), shift(event.end_mark), style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                    anchored.add(id(node))
                count += 1
                if count > max_nodes:
                    raise LimitExceeded(f"document has more than {max_nodes} nodes",
                                        node.start_mark, event.start_mark.index)
            elif cls is AliasEvent:
                node = anchors.get(event.anchor)
                if node is None:
                    raise yaml.composer.ComposerError(None, None, f"found undefined alias {event.anchor!r}",
                                                      event.start_mark)
                if id(node) in open_ids:
                    raise yaml.composer.ComposerError(
                        None, None, f"alias {event.anchor!r} refers to a collection that contains it "
                        "(recursive anchor)", event.start_mark)
            elif cls is SeqStart or cls is MapStart:
                start = event.start_mark if shift is None else shift(event.start_mark)
                if len(stack) >= max_depth:
                    raise LimitExceeded(f"document is nested more than {max_depth} levels deep",
                                        start, event.start_mark.index)
                tag = event.tag
                if cls is SeqStart:
                    node = SequenceNode(_SEQ_TAG if tag is None or tag == "!" else tag, [], start, None,
                                        event.flow_style)
                else:
                    node = MappingNode(_MAP_TAG if tag is None or tag == "!" else tag, [], start, None,
                                       event.flow_style)
                if event.anchor is not None:
                    anchors[event.anchor] = node
                count += 1
                if count > max_nodes:
                    raise LimitExceeded(f"document has more than {max_nodes} nodes", start, event.start_mark.index)
                stack.append([node, None])
                open_ids.add(id(node))
                continue
            elif cls is SeqEnd or cls is MapEnd:
                node = stack.pop()[0]
                node.end_mark = event.end_mark if shift is None else shift(event.end_mark)
                open_ids.discard(id(node))
            else:  # pragma: no cover - libyaml never emits anything else inside a document
                raise yaml.composer.ComposerError(None, None, f"unexpected {cls.__name__}", event.start_mark)
            if not stack:
                break
            parent = stack[-1]
            pnode = parent[0]
            if pnode.__class__ is SequenceNode:
                pnode.value.append(node)
            elif parent[1] is None:
                parent[1] = node
            else:
                pnode.value.append((parent[1], node))
                parent[1] = None
        get_event()  # DocumentEndEvent
        return node
