"""rules/stress.toml against its source: every scenario cell as stress-scenarios.md prints it.

The tables come from a verbatim copy of sections 1.2, 1.3 and 1.5 of the shared reference
(``tests/data/stress-scenarios-tables.md``), so the check runs in a plain clone; where the shared
folder is beside the repository, the copy is checked against it.
"""

import re
from typing import Any

import numpy as np
import pytest

from tests.conftest import REPO
from xlmargin import instruments as ins
from xlmargin import rules

REFERENCE = REPO / "tests" / "data" / "stress-scenarios-tables.md"
SHARED = REPO.parent / "shared" / "reference" / "stress-scenarios.md"
STRESS = rules.load("stress")

TABLE_1A = ("window", "spx_pct", "nonus_pct", "ust2y_bp", "ust10y_bp", "ust30y_bp", "long_ust_pct")
TABLE_1B = (
    "gold_pct",
    "dxy_pct",
    "eurusd_pct",
    "usdjpy_pct",
    "usdchf_pct",
    "wti_pct",
    "ig_bp",
    "hy_bp",
    "vix",
)
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def reference_rows() -> dict[str, dict[str, Any]]:
    """Tables 1a/1b and §1.5, parsed: {id: {column: number or window text; vix: (start, end)}}."""
    rows: dict[str, dict[str, Any]] = {}
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"([ES]\d+) .+", cells[0])
        if match is None or len(cells) not in (8, 10):
            continue
        columns = TABLE_1A if len(cells) == 8 else TABLE_1B
        row = rows.setdefault(match.group(1), {})
        for name, cell in zip(columns, cells[1:]):
            if cell == "–":
                continue
            if name == "window":
                row[name] = cell
            elif name == "vix":
                start, end = NUMBER.findall(cell)[-2:]
                row[name] = (float(start), float(end))
            else:
                row[name] = float(NUMBER.findall(cell)[0])
    return rows


def table_lines(text: str) -> set[str]:
    """The scenario rows of tables 1a/1b and §1.5: the lines :func:`reference_rows` reads."""
    return {
        line
        for line in text.splitlines()
        if re.match(r"\| [ES]\d+ ", line) and len(line.strip().strip("|").split("|")) in (8, 10)
    }


def test_the_vendored_tables_are_the_shared_reference() -> None:
    """The copy holds 28 scenarios × 2 tables; where the shared folder is present, exactly its rows."""
    vendored = table_lines(REFERENCE.read_text(encoding="utf-8"))
    assert len(vendored) == 2 * 28
    if SHARED.is_file():
        assert vendored == table_lines(SHARED.read_text(encoding="utf-8"))


def test_every_historical_cell_matches_the_reference() -> None:
    reference = reference_rows()
    entries = {e["id"]: e for e in STRESS["historical"]}
    assert sorted(entries) == sorted(reference) and len(entries) == 28
    for sid, printed in reference.items():
        entry = entries[sid]
        assert entry["window"].startswith(printed["window"]), sid
        for column, value in printed.items():
            if column == "window":
                continue
            if column == "vix":
                assert (entry["vix_start"], entry["vix_end"]) == value, sid
            else:
                assert entry[column] == value, (sid, column)
        printed_columns = {c for c in printed if c != "window"} | (
            {"vix_start", "vix_end"} if "vix" in printed else set()
        )
        stored = {k for k in entry if k not in ("id", "name", "window", "source", "confidence")}
        stored -= {"series_notes", "confidence_notes"}
        assert stored == printed_columns - {"vix"}, sid  # a blank cell stays blank


# Each correlation-break column comes from one recorded window (stress-scenarios.md §3.4 recipe 2).
WHOLE_WINDOW = ("spx_pct", "nonus_pct", "ust2y_bp", "ust10y_bp", "ust30y_bp", "gold_pct", "wti_pct", "ig_bp",
                "hy_bp", "vix_start", "vix_end")  # fmt: skip
LEGS = {
    "CB1": {"S12": WHOLE_WINDOW, "S16": ("dxy_pct", "eurusd_pct", "usdjpy_pct", "usdchf_pct")},
    "CB2": {"E11": WHOLE_WINDOW, "E3": ("dxy_pct", "usdjpy_pct", "usdchf_pct")},
    "CB3": {"S15": ("spx_pct", "nonus_pct", "gold_pct", "wti_pct", "ig_bp", "hy_bp", "vix_start", "vix_end"),
            "S16": ("ust2y_bp", "ust10y_bp", "dxy_pct", "eurusd_pct", "usdjpy_pct", "usdchf_pct")},
    "CB4": {"E10": ("spx_pct", "nonus_pct", "wti_pct", "ig_bp", "vix_start", "vix_end"),
            "S12": ("ust2y_bp", "ust10y_bp", "ust30y_bp", "gold_pct"),
            "E3": ("dxy_pct", "usdjpy_pct", "usdchf_pct"),
            "E5": ("hy_bp",)},
}  # fmt: skip


def test_correlation_break_legs_come_from_their_windows() -> None:
    history = {e["id"]: e for e in STRESS["historical"]}
    breaks = {e["id"]: e for e in STRESS["correlation_break"]}
    for cb, legs in LEGS.items():
        entry = breaks[cb]
        for window, columns in legs.items():
            assert window in entry["legs"], (cb, window)
            for column in columns:
                assert entry[column] == history[window][column], (cb, window, column)
    assert breaks["CB3"]["ust30y_bp"] == breaks["CB3"]["ust10y_bp"]  # the stated [L] assumption
    assert "[L]" in breaks["CB3"]["confidence_notes"]
    # CB5: §3.4's funding-currency gaps, USDJPY −9.4 % in two days (E3) and USDCHF −12.2 % in one (E8)
    assert (breaks["CB5"]["usdjpy_pct"], breaks["CB5"]["usdchf_pct"]) == (-9.4, history["E8"]["usdchf_pct"])


def test_every_table_carries_source_and_confidence() -> None:
    for name, table in STRESS.tables().items():
        if name.startswith(("historical[", "correlation_break[")) or "." not in name:
            assert table.get("source") and table.get("confidence") in ("H", "M", "L"), name
    for key in (
        "factors",
        "columns",
        "mapping.symbols",
        "mapping.classes",
        "mapping.credit",
        "mapping.convertible",
        "mapping.unmodelled",
        "vol_shift",
        "sigma",
        "covariance.default",
        "covariance.regime_2022",
        "regime_swap",
    ):
        table = STRESS.get(key)
        assert table["source"] and table["confidence"] in ("H", "M", "L"), key
    for key in ("bond", "curve", "bond_etfs", "futures", "currencies"):
        table = STRESS.get(f"instruments.{key}")
        assert table["source"] and table["confidence"] in ("H", "M", "L"), key


def test_default_correlation_block_is_section_2_2() -> None:
    # stress-scenarios.md §2.2: the assembled 9 × 9 is positive definite, smallest eigenvalue 0.066.
    corr = np.array(STRESS.get("covariance.default.correlation"))
    np.testing.assert_array_equal(corr, corr.T)
    assert np.linalg.eigvalsh(corr).min() == pytest.approx(0.066, abs=5e-4)
    assert STRESS.get("covariance.default.asset_vols_pct")[0] == 16.47  # US Large Cap


def test_every_asset_class_maps_to_a_factor_the_curve_or_none_by_the_rule_file() -> None:
    # [mapping.classes] names a price factor, or "duration" (the yield curve by the position's
    # duration); a class it leaves out (crypto) has no factor. classify reads the table, not a list.
    from xlmargin.positions.model import CLASSES
    from xlmargin.stress.classify import DURATION, LINEAR, NONE, classify
    from xlmargin.stress.factors import factor_index

    about = ("source", "confidence", "notes")
    table = {k: v for k, v in STRESS.get("mapping.classes").items() if k not in about}
    credit = {k: v for k, v in STRESS.get("mapping.credit").items() if k not in about}
    held = set(STRESS.get("mapping.convertible.classes"))
    assert set(table) <= set(CLASSES) and set(credit) <= set(CLASSES) and held <= set(CLASSES)
    assert not (set(table) & set(credit)) and not (set(table) & held) and not (set(credit) & held)
    for asset_class in CLASSES:
        model = classify("stock", "NO-SUCH-SYMBOL", "NO-SUCH-SYMBOL", asset_class, None)
        target = table.get(asset_class)
        if asset_class in credit:  # the curve plus the class's spread, its default fund's profile
            fund = ins.bond_etf(credit[asset_class]["default_fund"])
            assert fund is not None and fund.spread_factor == credit[asset_class]["spread_factor"]
            assert (model.kind, model.group, model.duration) == (DURATION, "credit", fund.duration)
            assert model.spread == factor_index()[fund.spread_factor], asset_class
        elif asset_class in held:
            assert model.kind == NONE and "no equity delta" in model.note, asset_class
        elif target == "duration":
            assert (model.kind, model.group) == (DURATION, "rates"), asset_class
        elif target is None:
            assert model.kind == NONE and asset_class in model.note, asset_class
        else:
            assert (model.kind, model.factor) == (LINEAR, factor_index()[target]), asset_class
    assert {c for c, t in table.items() if t == "duration"} == {"treasury", "agency", "municipal"}
