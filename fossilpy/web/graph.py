"""The branch graph beside the timeline, laid out on the server.

Like Fossil's ``src/graph.c`` the graph is a set of vertical *rails*; each
check-in is a node on one rail and a line runs down its rail to its
primary parent.  Rows are given newest first.  Walking down the rows:

* rails "waiting" for this check-in (lines from its children) end here;
  the node takes the lowest of them, the others join it with a horizontal
  segment (a fork seen from below);
* a check-in nobody waits for (a leaf) gets the lowest free rail;
* the node's rail then waits for the primary parent when that parent is
  on the page; otherwise a short stub shows the line continues;
* each merge parent on the page gets a thin line: it joins the rail
  already waiting for that parent, or a new rail that waits for it.

The result is data (:class:`GraphRow`) that each row turns into a small
inline SVG, stretched to the row's height so that lines join across rows
of any height (no script, so the CSP stays strict).  (Plain classes, not
dataclasses: building dataclasses costs a CGI process milliseconds.)
"""

from __future__ import annotations

import functools

from fossilpy.artifact import hname

#: Horizontal distance between rails, in CSS pixels.
RAIL_WIDTH = 16
#: Most rails drawn; check-ins beyond share the last rail.
MAX_RAILS = 24
#: Height of a node's centre below the top of its row, in CSS pixels.
NODE_Y = 17

_PALETTE = (
    "#2f6fb0",
    "#c0392b",
    "#27884f",
    "#8e44ad",
    "#d35400",
    "#16839b",
    "#b7950b",
    "#c2185b",
    "#5d6d7e",
    "#1e8449",
    "#7d3c98",
    "#a04000",
)


def branch_color(branch: str) -> str:
    """A stable colour for a branch name (trunk is always the first)."""
    if not branch or branch == "trunk":
        return _PALETTE[0]
    h = int(hname.md5(branch.encode("utf-8", "surrogateescape")).hexdigest()[:6], 16)
    return _PALETTE[1 + h % (len(_PALETTE) - 1)]


class Segment:
    """A vertical line on ``rail``: ``kind`` is full, top, bottom or stub."""

    __slots__ = ("rail", "kind", "color", "merge")

    def __init__(self, rail: int, kind: str, color: str, merge: bool = False) -> None:
        self.rail, self.kind, self.color, self.merge = rail, kind, color, merge

    @property
    def x(self) -> int:
        return self.rail * RAIL_WIDTH + RAIL_WIDTH // 2


class Join:
    """A horizontal line at node height between two rails."""

    __slots__ = ("a", "b", "color", "merge")

    def __init__(self, a: int, b: int, color: str, merge: bool = False) -> None:
        self.a, self.b, self.color, self.merge = a, b, color, merge

    @property
    def left(self) -> int:
        return min(self.a, self.b) * RAIL_WIDTH + RAIL_WIDTH // 2

    @property
    def width(self) -> int:
        return abs(self.a - self.b) * RAIL_WIDTH


class GraphRow:
    """What to draw in one timeline row (``rail`` -1: no node in this row)."""

    __slots__ = ("rid", "rail", "color", "segments", "joins")

    def __init__(self, rid: int, rail: int = -1, color: str = _PALETTE[0]) -> None:
        self.rid, self.rail, self.color = rid, rail, color
        self.segments: list[Segment] = []
        self.joins: list[Join] = []

    @property
    def x(self) -> int:
        return self.rail * RAIL_WIDTH + RAIL_WIDTH // 2

    def html(self, width: int, leaf: bool = False, merge: bool = False) -> str:
        """This row as an inline SVG ``width`` pixels wide that stretches to
        the row's height.  Only integers and palette colours go into it, so
        it needs no escaping."""
        y = NODE_Y
        out = [f'<svg class="graph" width="{width}" height="100%" aria-hidden="true">']
        for s in self.segments:
            y1, y2 = _SPANS[s.kind]
            cls = "gv gv-merge" if s.merge else ("gv gv-stub" if s.kind == "stub" else "gv")
            x = s.rail * RAIL_WIDTH + _HALF
            out.append(f'<line class="{cls}" x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{s.color}"/>')
        for j in self.joins:
            cls = "gh gh-merge" if j.merge else "gh"
            left = min(j.a, j.b) * RAIL_WIDTH + _HALF
            right = left + abs(j.a - j.b) * RAIL_WIDTH
            out.append(f'<line class="{cls}" x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="{j.color}"/>')
        if self.rail >= 0:
            x = self.rail * RAIL_WIDTH + _HALF
            if merge:
                out.append(f'<circle class="gring" cx="{x}" cy="{y}" r="8.5"/>')
            cls = "gn gn-leaf" if leaf else "gn"
            out.append(f'<circle class="{cls}" cx="{x}" cy="{y}" r="5" stroke="{self.color}"/>')
        out.append("</svg>")
        return "".join(out)


_HALF = RAIL_WIDTH // 2
#: (y1, y2) of each kind of vertical segment.
_SPANS = {
    "full": ("0", "100%"),
    "top": ("0", str(NODE_Y)),
    "bottom": (str(NODE_Y), "100%"),
    "stub": (str(NODE_Y), str(NODE_Y + 14)),
}


class Graph:
    """The laid-out graph: rows by rid, and the width in pixels."""

    __slots__ = ("rows", "width")

    def __init__(self, rows: dict[int, GraphRow], width: int) -> None:
        self.rows, self.width = rows, width


class _Wait:
    """A rail waiting for ``parent`` (a line going down to it)."""

    __slots__ = ("parent", "color", "merge")

    def __init__(self, parent: int, color: str, merge: bool) -> None:
        self.parent, self.color, self.merge = parent, color, merge


def layout(nodes: list[tuple[int, list[int] | None, str]]) -> Graph:
    """Lay out ``(rid, parent rids (primary first), branch)`` rows, newest first.

    A row whose parents are None is not a check-in (a wiki edit between
    two check-ins, say): lines pass through it and it has no node.
    """
    on_page = {rid for rid, parents, _ in nodes if parents is not None}
    active: dict[int, _Wait] = {}
    rows: dict[int, GraphRow] = {}
    used = 0

    def free_rail(avoid: int = -1) -> int:
        r = 0
        while (r in active or r == avoid) and r < MAX_RAILS - 1:
            r += 1
        return r

    colors: dict[str, str] = {}
    for rid, parents, branch in nodes:
        color = colors.get(branch)
        if color is None:
            color = colors[branch] = branch_color(branch)
        row = GraphRow(rid, color=color)
        if parents is None:
            row.segments = [Segment(r, "full", w.color, w.merge) for r, w in sorted(active.items())]
            rows[rid] = row
            continue
        items = sorted(active.items())
        waiting = [r for r, w in items if w.parent == rid]
        plain = [r for r in waiting if not active[r].merge]
        node = (plain or waiting)[0] if waiting else free_rail()
        row.rail = node
        for r, w in items:
            if w.parent == rid:
                row.segments.append(Segment(r, "top", w.color, w.merge))
                if r != node:
                    row.joins.append(Join(r, node, w.color, w.merge))
            else:
                row.segments.append(Segment(r, "full", w.color, w.merge))
        for r in waiting:
            del active[r]
        if parents:
            first = parents[0]
            if first in on_page:
                active[node] = _Wait(first, color, False)
                row.segments.append(Segment(node, "bottom", color))
            else:
                row.segments.append(Segment(node, "stub", color))
        for p in parents[1:]:
            if p not in on_page:
                continue
            existing = [r for r, w in active.items() if w.parent == p and not w.merge]
            if existing:
                row.joins.append(Join(node, existing[0], active[existing[0]].color, True))
                continue
            r = free_rail(avoid=node)
            if r in active or r == node:
                continue
            active[r] = _Wait(p, color, True)
            row.segments.append(Segment(r, "bottom", color, True))
            row.joins.append(Join(node, r, color, True))
        rows[rid] = row
        used = max([used, node + 1, *(s.rail + 1 for s in row.segments)])
    return Graph(rows, max(used, 1) * RAIL_WIDTH)


class Drawn:
    """A graph as the timeline rows need it: its width and each row's SVG."""

    __slots__ = ("width", "svgs")

    def __init__(self, width: int, svgs: tuple[str, ...]) -> None:
        self.width, self.svgs = width, svgs


class _DrawnMemo:
    """The last few graphs drawn, by everything that shapes them.

    A drawing is a pure function of its rows (rid, parents, branch) and
    their marks (leaf, merge badge), so a page shown again (the newest
    check-ins, between two commits) reuses its SVG instead of laying it
    out again.  Bounded (:data:`DRAWN_MEMO` graphs, least recently used
    out first); shared by a worker's threads.
    """

    def __init__(self, size: int) -> None:
        import threading
        from collections import OrderedDict

        self.size = size
        self.graphs: OrderedDict[tuple[object, ...], Drawn] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[object, ...]) -> Drawn | None:
        with self.lock:
            found = self.graphs.get(key)
            if found is not None:
                self.graphs.move_to_end(key)
            return found

    def put(self, key: tuple[object, ...], drawn: Drawn) -> None:
        with self.lock:
            self.graphs[key] = drawn
            while len(self.graphs) > self.size:
                self.graphs.popitem(last=False)


#: Drawings remembered per process (50 rows make about 20 kB of SVG).
DRAWN_MEMO = 16
_drawn = _DrawnMemo(DRAWN_MEMO)


def draw(nodes: list[tuple[int, list[int] | None, str]], marks: list[tuple[bool, bool]]) -> Drawn:
    """:func:`layout` of ``nodes`` and each row's :meth:`GraphRow.html` with its
    ``(leaf, merge)`` mark ("" for a row without a node), remembered."""
    key = tuple(
        (rid, None if ps is None else tuple(ps), br, leaf, merge)
        for (rid, ps, br), (leaf, merge) in zip(nodes, marks, strict=True)
    )
    drawn = _drawn.get(key)
    if drawn is None:
        laid = layout(nodes)
        svgs = []
        for (rid, _, _), (leaf, merge) in zip(nodes, marks, strict=True):
            row = laid.rows.get(rid)
            svgs.append(row.html(laid.width, leaf, merge) if row is not None else "")
        drawn = Drawn(laid.width, tuple(svgs))
        _drawn.put(key, drawn)
    return drawn


@functools.lru_cache(maxsize=512)
def hash_color(name: str) -> str:
    """Fossil's ``hash_color`` (``src/color.c``): a light background colour
    for a branch or user name, ``#rrggbb`` (default skin: dark text)."""
    h = 0
    for byte in name.encode("utf-8", "surrogateescape"):
        ch = byte - 256 if byte > 127 else byte  # C's signed char
        h = ((h << 11) ^ (h << 1) ^ (h >> 3) ^ (ch & 0xFFFFFFFF)) & 0xFFFFFFFF
    h1 = h % 6
    h //= 6
    h3 = h % 10
    h //= 10
    h4 = h % 10
    h //= 10
    mx = 0xF8 - h3
    mn = mx - h4 - 0x20
    h2 = (h % (mx - mn)) + mn
    r, g, b = ((mx, h2, mn), (h2, mx, mn), (mn, mx, h2), (mn, h2, mx), (h2, mn, mx), (mx, mn, h2))[h1]
    return f"#{r:02x}{g:02x}{b:02x}"


def user_color(login: str, color_map: str = "") -> str:
    """Fossil's ``user_color``: the colour of ``login``, or of its alias in
    the ``user-color-map`` setting (pairs ``login alias``)."""
    words = color_map.split()
    for i in range(0, len(words) - 1, 2):
        if words[i] == login:
            return hash_color(words[i + 1])
    return hash_color(login)
