"""Branch graph layout (rails, joins, merge lines)."""

from __future__ import annotations

from fossilpy.web.graph import RAIL_WIDTH, branch_color, layout


def _kinds(row):  # type: ignore[no-untyped-def]
    return sorted((s.rail, s.kind, s.merge) for s in row.segments)


def test_linear_history() -> None:
    g = layout([(3, [2], "trunk"), (2, [1], "trunk"), (1, [], "trunk")])
    assert [g.rows[r].rail for r in (3, 2, 1)] == [0, 0, 0]
    assert _kinds(g.rows[3]) == [(0, "bottom", False)]
    assert _kinds(g.rows[2]) == [(0, "bottom", False), (0, "top", False)]
    assert _kinds(g.rows[1]) == [(0, "top", False)]
    assert g.width == RAIL_WIDTH


def test_fork_and_merge() -> None:
    # 5 merges 4 (feat) into 3 (trunk); 4 and 3 both descend from 2
    nodes = [(5, [3, 4], "trunk"), (4, [2], "feat"), (3, [2], "trunk"), (2, [1], "trunk"), (1, [], "trunk")]
    g = layout(nodes)
    r5, r4, r3, r2 = (g.rows[i] for i in (5, 4, 3, 2))
    assert r5.rail == 0
    assert [(j.a, j.b, j.merge) for j in r5.joins] == [(0, 1, True)]
    assert r4.rail == 1 and r4.color == branch_color("feat")
    assert _kinds(r4) == [(0, "full", False), (1, "bottom", False), (1, "top", True)]
    assert r3.rail == 0
    assert r2.rail == 0
    assert [(j.a, j.b, j.merge) for j in r2.joins] == [(1, 0, False)]  # the fork
    assert g.width == 2 * RAIL_WIDTH


def test_parent_off_page_and_non_checkin_rows() -> None:
    g = layout([(9, [8], "trunk"), (50, None, ""), (8, [7], "trunk")])
    assert _kinds(g.rows[50]) == [(0, "full", False)]
    assert _kinds(g.rows[8]) == [(0, "stub", False), (0, "top", False)]


def test_many_branches_are_capped() -> None:
    nodes = [(1000 + i, [i], f"b{i}") for i in range(60)] + [(i, [], "trunk") for i in range(60)]
    g = layout(nodes)
    assert max(r.rail for r in g.rows.values()) < 24


def test_row_svg() -> None:
    g = layout([(5, [3, 4], "trunk"), (4, [2], "feat"), (3, [2], "trunk"), (2, [], "trunk")])
    svg = g.rows[5].html(g.width, leaf=True, merge=True)
    assert svg.startswith(f'<svg class="graph" width="{g.width}" height="100%" aria-hidden="true">')
    assert '<line class="gv" x1="8" y1="17" x2="8" y2="100%" stroke="#2f6fb0"/>' in svg
    assert '<line class="gh gh-merge" x1="8" y1="17" x2="24" y2="17"' in svg
    assert '<circle class="gring" cx="8" cy="17" r="8.5"/>' in svg
    assert svg.endswith('<circle class="gn gn-leaf" cx="8" cy="17" r="5" stroke="#2f6fb0"/></svg>')
