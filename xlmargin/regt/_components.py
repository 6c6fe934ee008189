"""Array helpers of the pairing's programs (see :mod:`._pairing`): the parts of a large block's
integer program that still need a search once reduced-cost fixing has narrowed it, and the cutting
and checking of stacked solutions.

After the fixing (:func:`._pairing._narrow`), the candidates a pairing as cheap as the best found
may still form some other number of units of (its *live* candidates) fall apart into independent
parts: legs joined by the live candidates that use them. The fixed candidates only take capacity,
the same in every such pairing. The relaxed solution is feasible and optimal in the narrowed
relaxation, which is the sum of its parts' relaxations; so where it is whole on a part, it is an
optimal pairing of that part, and only the parts where it is fractional need the integer program.
On the benchmark book's RUT class that is one part of some 400 to 1,200 candidates out of 5,300 to
5,700.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np


def fractional_parts(
    leg: np.ndarray, cand: np.ndarray, live: np.ndarray, fractional: np.ndarray, legs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Of a block's uses (``leg``, ``cand``) and its candidates' masks ``live`` and ``fractional``
    (of its relaxed solution), the candidates and the legs of the parts, legs joined by live
    candidates, that hold a live fractional candidate: two masks, per candidate and per leg."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

    size = len(live)
    used = live[cand]
    nodes = legs + size  # the legs, then the candidates
    graph = csr_array((np.ones(int(used.sum())), (leg[used], legs + cand[used])), shape=(nodes, nodes))
    _, label = connected_components(graph, directed=False)
    searched = np.zeros(nodes, dtype=bool)
    searched[label[legs:][live & fractional]] = True
    columns = live & searched[label[legs:]]
    return columns, searched[label[:legs]] & (np.bincount(leg[columns[cand]], minlength=legs) > 0)


def all_whole(xs: list[np.ndarray]) -> list[bool]:
    """Whether each of ``xs`` is whole, as ``np.allclose(x, np.round(x), atol=1e-9)`` says, in
    one pass over all of them (a call per block cost more than the check)."""
    if not xs:
        return []
    x = np.concatenate(xs)
    block_of = np.repeat(np.arange(len(xs)), [len(v) for v in xs])
    off = block_of[~np.isclose(x, np.round(x), atol=1e-9)]
    return (np.bincount(off, minlength=len(xs)) == 0).tolist()


def cut(x: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """``x`` cut into consecutive pieces of ``sizes``, as ``np.split`` cuts it, by plain slices
    (``np.split`` costs some 10 µs a piece, and the stacked solve cuts hundreds)."""
    ends = list(accumulate(sizes))
    return [x[a:b] for a, b in zip([0, *ends], ends)]
