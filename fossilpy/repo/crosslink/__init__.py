"""Crosslinking: turning stored structural artifacts into derived-table rows.

Every artifact that parses as a structural artifact (see
``fossilpy.artifact.manifest``) is "crosslinked" once it is stored, and again
on rebuild; the rows it leaves are those of Fossil 2.21's
``manifest_crosslink`` (``src/manifest.c``).

Public API -- the only names other modules use::

    with repo.write(), crosslink.batch(repo) as b:    # Fossil's crosslink_begin/end
        crosslink.crosslink(repo, rid, data, batch=b)  # one artifact; False if not structural
        crosslink.after_dephantomize(repo, rid, batch=b)  # what a filled phantom unblocks
    crosslink.Batch                                    # the batch's type, for annotations

``crosslink()`` and ``after_dephantomize()`` without ``batch`` join the batch
open on ``repo`` or open one for the call.  A failure inside a batch raises
and the write transaction rolls back: nothing is stored uncrosslinked.

Where the batch lives: a batch belongs to one write transaction of one
repository handle, so it is kept in ``Repo.xlink_batch`` (a typed,
documented slot of ``fossilpy.repo.db.Repo``, ``Batch | None``).
:func:`batch` alone sets and clears it; a nested ``batch(repo)`` joins the
open one.  The slot is read only where a caller holds a repository and no
batch: the public entries above, ``tags.tag_insert``/``tag_id``/
``hash_digits`` (for the batch's caches).  Everything inside the package
takes the batch as an explicit ``b: Batch`` argument.

Layout (submodules; each function that takes a batch is internal API,
documented in its module, and may be called from any module of the package):

``state``     :class:`Batch` (typed fields and lookups: ``rid_of``, ``fnid``,
              ``checkin``, ``real``, ``extract_backlinks``) and ``parse``.
``dispatch``  the entries above, ``finish`` (end-of-batch work), clusters and
              control artifacts.
``checkins``  plink, mlink, filename, cherrypick and the 'ci' event.
``tags``      the tag and tagxref tables: ``apply_tag``, ``apply_tag_cards``,
              ``propagate``, ``propagate_all``; control-artifact comments.
``leaf``      the leaf table: ``eventually_check``, ``settle``.
``docs``      wiki, tickets, technotes, attachments and forum posts
              (``CROSSLINKERS``, ``finish``).
``tickets``   the ticket and ticketchng tables replayed from ticket changes.

Also used outside the package, and documented as such in their modules:
``tags.TAG_*``, ``tags.hash_digits``/``tags.htmlize`` (text helpers),
``tickets.create_tables`` (rebuild re-creates the ticket tables) and the
``Batch`` fields that ``fossilpy.repo.rebuild`` plugs in (``rids``,
``fetch``, ``mlink_mids``; ``RidSet``).  ``fossilpy.artifact.fmemo`` (check-in
parsing with the batch's F-line memo) and ``fossilpy.repo.backlink`` are
helpers the package calls through their public functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fossilpy.repo.crosslink.dispatch import after_dephantomize, batch, crosslink
    from fossilpy.repo.crosslink.state import Batch, RidSet

__all__ = ["Batch", "RidSet", "after_dephantomize", "batch", "crosslink"]

#: Where the public names live.  Loaded on first use (PEP 562), so that a
#: command needing one small submodule (``leaf.is_leaf`` for ``status``) does
#: not pay for the artifact parser and the whole crosslinker (~10 ms).
_HOME = {
    "after_dephantomize": "dispatch",
    "batch": "dispatch",
    "crosslink": "dispatch",
    "Batch": "state",
    "RidSet": "state",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{home}"), name)
