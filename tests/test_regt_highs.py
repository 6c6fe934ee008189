"""``regt._highs`` calls scipy's own HiGHS module directly and falls back to scipy's public
``milp``/``linprog`` when that private module is absent. Both routes must give the same pairing:
the same totals, groups and figures, to the cent."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.book import AS_OF, book
from xlmargin import regt
from xlmargin.positions import read_positions
from xlmargin.regt import PAIRINGS, _halves, _highs, regt_margin
from xlmargin.regt._components import fractional_parts
from xlmargin.regt._pairing import _OPTIONS, Block, _alone, _stacked


def breakdown(portfolio, basis: str, net: bool):
    PAIRINGS.clear()
    result = regt_margin(portfolio, basis=basis, net_of_proceeds=net)
    return result.total, [(g.strategy, g.underlying, tuple(g.legs), g.margin, g.gross) for g in result.groups]


@pytest.mark.skipif(_highs._h is None, reason="no private HiGHS module in this scipy: the fallback runs")
@pytest.mark.parametrize(("basis", "net"), [("initial", False), ("maintenance", True)])
def test_the_public_scipy_route_gives_the_same_pairing(monkeypatch, basis: str, net: bool) -> None:
    table = book()
    small = [r for r in table[1:] if r[4] not in ("SPX", "NDX", "RUT")]  # the large classes take long
    rows = [table[0], *small[:900]]
    portfolio = read_positions(rows, as_of=AS_OF)
    direct = breakdown(portfolio, basis, net)
    monkeypatch.setattr(_highs, "_h", None)
    public = breakdown(portfolio, basis, net)
    PAIRINGS.clear()
    assert public == direct
    assert len(direct[1]) > 100  # spreads, straddles and covered positions were paired


@pytest.mark.parametrize(("basis", "net"), [("initial", False), ("maintenance", True)])
def test_the_stacked_program_in_two_halves_gives_the_pairing_of_one(
    monkeypatch, basis: str, net: bool
) -> None:
    """Above ``_HALVED_ABOVE`` candidates the stacked program is cut in two, the second half solved
    on a thread beside the first: each underlying's pairing is its own, so the same breakdown."""
    table = book()
    small = [r for r in table[1:] if r[4] not in ("SPX", "NDX", "RUT", "IWM")]
    portfolio = read_positions([table[0], *small], as_of=AS_OF)
    cut = []

    def recorded(stacked):
        cut.append(_halves(stacked))
        return cut[-1]

    monkeypatch.setattr(regt, "_halves", recorded)
    PAIRINGS.clear()
    halved = regt_margin(portfolio, basis=basis, net_of_proceeds=net)
    assert cut and cut[-1][1], "the book is large enough to be halved"
    monkeypatch.setattr(regt, "_HALVED_ABOVE", 10**9)
    PAIRINGS.clear()
    whole = regt_margin(portfolio, basis=basis, net_of_proceeds=net)
    assert not cut[-1][1]
    PAIRINGS.clear()
    assert repr(halved) == repr(whole)


def test_options_scipy_has_no_field_for_reach_highs_by_name_and_stay_out_of_the_fallback(
    monkeypatch,
) -> None:
    """The pairing's settings include HiGHS options scipy's ``HighsOptions`` has no field for
    (``presolve_rule_off``): the direct route sets them by name, the public route leaves them
    out (scipy would warn of an unrecognised option, an error here); both find the optimum."""
    import numpy as np
    from scipy.optimize import Bounds, LinearConstraint

    from xlmargin.regt._pairing import _OPTIONS

    assert "presolve_rule_off" in _OPTIONS
    c = np.array([-1.0, -2.0, -3.0])
    program = {
        "c": c,
        "integrality": np.ones(3),
        "bounds": Bounds(np.zeros(3), np.full(3, 4.0)),
        "constraints": [LinearConstraint(np.array([[1.0, 1.0, 1.0]]), -np.inf, 5.5)],
        "options": {**_OPTIONS, "time_limit": 10.0},
    }
    routes = [_highs.milp(**program)] if _highs._h is not None else []
    monkeypatch.setattr(_highs, "_h", None)
    routes.append(_highs.milp(**program))
    for found in routes:
        assert found.status == 0
        assert np.allclose(found.x, [0.0, 1.0, 4.0])


def test_a_fractional_program_started_from_its_rounding_keeps_its_optimum() -> None:
    """A program whose relaxation is fractional (odd cycles of spreads over legs of few contracts)
    is solved from a rounding of its relaxation, narrowed by reduced-cost fixing at the rounding's
    cost: its optimum must be the integer program's, solved as it is."""
    rng = np.random.default_rng(13)
    fractional = 0
    for _ in range(60):
        pairs = [(i, j) for i in range(8) for j in range(i + 1, 8) if rng.random() < 0.45]
        triples = [(i, i + 1, i + 2) for i in range(6) if rng.random() < 0.3]
        shapes = [*pairs, *triples]
        leg = np.array([lg for shape in shapes for lg in shape])
        cand = np.repeat(np.arange(len(shapes)), [len(shape) for shape in shapes])
        amount = rng.integers(1, 3, len(leg)).astype(float)
        capacity = rng.integers(1, 4, 8).astype(float)
        upper = np.floor(
            np.minimum.reduceat(capacity[leg] / amount, np.r_[0, np.cumsum([len(s) for s in shapes])[:-1]])
        )
        cost = -rng.integers(1, 1000, len(shapes)).astype(float) - rng.random(len(shapes)).round(2)
        b = Block("XYZ", leg, cand, amount, capacity, upper, cost, np.ones(len(shapes)))
        relaxed = _highs.milp(**_stacked([b], integral=False), options={**_OPTIONS, "time_limit": 10.0})
        assert relaxed.x is not None
        fractional += not np.allclose(relaxed.x, np.round(relaxed.x), atol=1e-9)
        plain = _highs.milp(**_stacked([b], integral=True), options={**_OPTIONS, "time_limit": 10.0})
        assert plain.x is not None
        units = np.array(_alone(b, 10.0, []), dtype=float)
        assert np.all(np.bincount(leg, weights=amount * units[cand], minlength=8) <= capacity + 1e-9)
        assert float(cost @ units) == pytest.approx(float(cost @ plain.x), abs=1e-6)
    assert fractional >= 10  # the rounding's path was taken


def test_only_the_parts_with_a_fractional_candidate_are_searched() -> None:
    """Legs joined by live candidates make a part: a triangle of spreads (legs 0-2, where the
    relaxation is fractional) and a spread of legs 3-4 are two parts; a dead candidate (not live)
    joins nothing, and a leg no live candidate uses is in no searched part."""
    leg = np.array([0, 1, 1, 2, 0, 2, 3, 4, 2, 3, 5, 5])
    cand = np.array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
    live = np.array([True, True, True, True, False, True])
    fractional = np.array([True, False, False, False, False, False])
    columns, legs = fractional_parts(leg, cand, live, fractional, 6)
    assert columns.tolist() == [True, True, True, False, False, False]
    assert legs.tolist() == [True, True, True, False, False, False]


def test_a_program_of_many_parts_keeps_its_optimum() -> None:
    """Blocks of several independent parts (odd cycles of spreads beside whole ones): the integer
    program of the fractional parts alone, the others at their relaxed units, reaches the optimum
    of the integer program of the whole block."""
    rng = np.random.default_rng(29)
    for _ in range(30):
        shapes = []
        for part in range(4):
            legs = range(6 * part, 6 * part + 6)
            shapes += [(i, j) for i in legs for j in legs if i < j and rng.random() < 0.4]
            shapes += [(i, i + 1, i + 2) for i in legs[:-2] if rng.random() < 0.3]
        leg = np.array([lg for shape in shapes for lg in shape])
        cand = np.repeat(np.arange(len(shapes)), [len(shape) for shape in shapes])
        amount = rng.integers(1, 3, len(leg)).astype(float)
        capacity = rng.integers(1, 4, 24).astype(float)
        starts = np.r_[0, np.cumsum([len(s) for s in shapes])[:-1]]
        upper = np.floor(np.minimum.reduceat(capacity[leg] / amount, starts))
        cost = -rng.integers(1, 1000, len(shapes)).astype(float) - rng.random(len(shapes)).round(2)
        b = Block("XYZ", leg, cand, amount, capacity, upper, cost, np.ones(len(shapes)))
        plain = _highs.milp(**_stacked([b], integral=True), options={**_OPTIONS, "time_limit": 10.0})
        assert plain.x is not None
        units = np.array(_alone(b, 10.0, []), dtype=float)
        assert np.all(units == np.round(units)) and np.all(units >= 0)
        assert np.all(np.bincount(leg, weights=amount * units[cand], minlength=24) <= capacity + 1e-9)
        assert float(cost @ units) == pytest.approx(float(cost @ plain.x), abs=1e-6)
