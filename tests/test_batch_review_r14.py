"""Review R14 of the batch: account ids never merged silently, Dask addresses that are no Dask
scheduler, workers without xlmargin, and the messages of an empty file and blank ids."""

from __future__ import annotations

import datetime as dt
import io
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openpyxl
import pandas as pd
import pytest

from benchmarks.book import AS_OF
from xlmargin.batch import batch
from xlmargin.cli import main
from xlmargin.errors import XlMarginError


def _ids(ids: list[Any]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"account": ids, "symbol": ["KO"] * n, "quantity": [100] * n, "price": [62.0] * n})


def test_a_true_in_the_account_column_is_its_error_never_account_1(tmp_path: Any, capsys: Any) -> None:
    """R14: TRUE, 1, 0, FALSE gave two accounts, "True" (2 positions) and "0", exit 0: True == 1
    as a dict key, so account 1 vanished into "True"."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in (["account", "symbol", "type", "quantity", "price"], [True, "JPM", "stock", 100, 242.1]):
        sheet.append(row)
    for row in (
        [1, "KO", "stock", 100, 62],
        [0, "KO", "stock", 100, 62],
        [False, "XOM", "stock", -100, 112.4],
    ):
        sheet.append(row)
    book.save(source := tmp_path / "ids.xlsx")
    assert main(["batch", str(source), "--regime", "regt", "--as-of", AS_OF.isoformat()]) == 1
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype=str, keep_default_na=False)
    assert out["account"].tolist() == ["TRUE", "1", "0", "FALSE"]
    assert out["positions"].tolist() == ["1", "1", "1", "1"]
    assert out["error"].tolist() == [
        "#INPUT row 2, account: TRUE is a TRUE/FALSE cell, not an account id",
        "",
        "",
        "#INPUT row 5, account: FALSE is a TRUE/FALSE cell, not an account id",
    ]


def test_one_number_however_stored_is_one_account_and_a_bool_or_date_is_refused() -> None:
    """1, 1.0 (Excel stores every number as a float) and the text "1" show one id: one account;
    TRUE and a date are errors naming every row they are on."""
    frame = _ids([1, "1", 1.0, True, dt.date(2026, 3, 1), True, "001"])
    out = batch(frame, regime="regt", as_of=AS_OF)
    assert out["account"].tolist() == ["1", "TRUE", "2026-03-01", "001"]
    assert out["positions"].tolist() == [3, 2, 1, 1]
    assert out["error"].tolist() == [
        "",
        "#INPUT row 5, account: TRUE is a TRUE/FALSE cell (rows 5, 7), not an account id",
        "#INPUT row 6, account: 2026-03-01 is a date, not an account id; Excel may have turned an id "
        "into a date: format the column as text and type the ids again",
        "",
    ]
    assert out.attrs["warnings"] == [
        (
            "accounts '1' and '001' are one number written in different ways: margined as 2 accounts "
            "(an id is read as written); if they are one account, write its id one way",
            "",
        )
    ]


def test_an_error_value_in_the_account_column_is_its_error() -> None:
    out = batch(_ids(["A", "#N/A"]), regime="regt", as_of=AS_OF)
    assert out["error"].tolist() == ["", "#INPUT row 3, account: the cell holds the error value #N/A"]


def test_blank_account_ids_name_their_rows() -> None:
    """R14: "the account is blank in 2 row(s)" named only the first."""
    out = batch(_ids(["A", None, "B", *[" "] * 9]), regime="regt", as_of=AS_OF)
    assert out["account"].tolist() == ["A", "", "B"]
    assert out["error"].tolist()[1] == (
        "#INPUT row 3, account: the account is blank in rows 3, 5, 6, 7, 8, 9, 10, 11 and 2 more"
    )


# --- Dask: the connect step under one deadline, the workers checked before any work --------------

BOOK = "account,symbol,quantity,price\nA,KO,100,62\nB,XOM,-100,112.4\n"


@contextmanager
def _server(reply: bytes | None) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts and then stays silent (``reply`` None) or sends
    ``reply`` to each connection: no Dask scheduler. Its address."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if reply is not None:
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (None, "the connection was accepted but no Dask reply came within 1 s: not a Dask scheduler"),
        (
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
            "not a Dask scheduler (its reply is not Dask's protocol)",
        ),
    ],
)
def test_an_address_that_is_no_dask_scheduler_is_refused_within_the_deadline(
    tmp_path: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, reply: bytes | None, said: str
) -> None:
    """R14: a port that accepts and never speaks Dask hung the batch (> 13 min behind an HTTP
    server: Client's timeout bounds the TCP connect only); one that answers HTTP read 8 bytes as a
    frame length and printed "out of memory"."""
    pytest.importorskip("distributed")
    from xlmargin.batch import cluster

    monkeypatch.setattr(cluster, "CONNECT_SECONDS", 1.0)
    (source := tmp_path / "book.csv").write_text(BOOK, encoding="utf-8")
    with _server(reply) as address:
        started = time.monotonic()
        assert main(["batch", str(source), "--as-of", AS_OF.isoformat(), "--dask", address]) == 2
        assert time.monotonic() - started < 5
    err = capsys.readouterr().err
    assert err.startswith(f"xlmargin: {address}: {said}"), err
    assert "port 8786" in err and "8787 is its dashboard" in err


def test_a_refused_connection_is_tried_again_until_the_deadline() -> None:
    """A scheduler started just before the batch may not listen yet: a refused connection is tried
    again until the deadline (here a port that starts listening 0.4 s later is reached, and found
    silent), and only then reported, with how long it was tried."""
    pytest.importorskip("distributed")
    from xlmargin.batch import cluster

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    late = socket.socket()

    def listen_later() -> None:
        time.sleep(0.4)
        late.bind(("127.0.0.1", port))
        late.listen(5)

    thread = threading.Thread(target=listen_later, daemon=True)
    thread.start()
    try:
        with pytest.raises(XlMarginError, match="connection was accepted but no Dask reply came within 2"):
            cluster.connected(f"tcp://127.0.0.1:{port}", 2.0)
    finally:
        thread.join()
        late.close()
    started = time.monotonic()
    with pytest.raises(XlMarginError, match=r"\(nothing listening: the connection refused for 0\.6 s\)"):
        cluster.connected(f"tcp://127.0.0.1:{port}", 0.6)
    assert 0.3 < time.monotonic() - started < 3


def test_a_scheduler_address_runs_the_batch_and_a_worker_s_is_refused() -> None:
    distributed = pytest.importorskip("distributed")
    frame = pd.read_csv(io.StringIO(BOOK))
    alone = batch(frame, regime="regt", as_of=AS_OF)
    with distributed.LocalCluster(
        processes=False, n_workers=1, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        pd.testing.assert_frame_equal(
            batch(frame, regime="regt", as_of=AS_OF, dask=cluster.scheduler_address), alone
        )
        worker = next(iter(cluster.scheduler.workers))
        with pytest.raises(XlMarginError, match=f"^{worker}: a Dask worker, not the scheduler"):
            batch(frame, regime="regt", as_of=AS_OF, dask=worker)


class _Workers:
    """A client whose workers hold no xlmargin, or another version."""

    scheduler = type("Rpc", (), {"address": "tcp://10.0.0.1:8786"})()

    def __init__(self) -> None:
        self.submitted = False

    def wait_for_workers(self, n: int, timeout: float) -> None:
        pass

    def run(self, function: Any) -> dict[str, str]:
        return {
            "tcp://10.0.0.2:40001": "!ModuleNotFoundError: No module named 'xlmargin'",
            "tcp://10.0.0.3:40001": "0.0.9",
        }

    def scatter(self, *args: Any, **kwargs: Any) -> Any:
        self.submitted = True
        raise AssertionError("work was sent")

    submit = scatter


def test_workers_without_xlmargin_are_named_before_any_work(capsys: Any) -> None:
    """R14: a traceback from client.scatter (ModuleNotFoundError), exit 1."""
    import xlmargin

    client = _Workers()
    with pytest.raises(XlMarginError) as found:
        batch(pd.read_csv(io.StringIO(BOOK)), as_of=AS_OF, dask=client)
    assert str(found.value) == (
        "2 of 2 Dask workers at tcp://10.0.0.1:8786 cannot run the batch: tcp://10.0.0.2:40001 (cannot "
        "import xlmargin: ModuleNotFoundError: No module named 'xlmargin'), tcp://10.0.0.3:40001 "
        f"(xlmargin 0.0.9); install xlmargin {xlmargin.__version__} on every worker (pip install "
        "'xlmargin[dask]'), as on this machine (nothing was computed)"
    )
    assert not client.submitted


def test_the_workers_check_runs_where_xlmargin_cannot_be_imported() -> None:
    """The check travels by value: a worker without xlmargin runs it and says so."""
    cloudpickle = pytest.importorskip("cloudpickle")
    from xlmargin.batch.cluster import worker_version

    code = (
        "import pickle, sys; sys.modules['xlmargin'] = None; print(pickle.loads(sys.stdin.buffer.read())())"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        input=cloudpickle.dumps(worker_version()),
        capture_output=True,
        check=True,
    )
    assert shown.stdout.decode().startswith("!ModuleNotFoundError: "), shown


@pytest.mark.parametrize("text", ["", "\n\n", ",,\n"])
def test_an_empty_file_is_said_so_as_margin_says_it(tmp_path: Any, capsys: Any, text: str) -> None:
    """R14: a file of zero bytes said "expected a table with a header row, got list"."""
    (source := tmp_path / "empty.csv").write_text(text, encoding="utf-8")
    assert main(["batch", str(source), "--as-of", AS_OF.isoformat()]) == 2
    assert capsys.readouterr().err == "xlmargin: the positions range is empty\n"
    with pytest.raises(XlMarginError, match=r"^the positions range is empty$"):
        batch([], as_of=AS_OF)


# --- accounts holding bonds: the bonds of every account margined at once, outside PM --------------


def _bond_table(seed: int) -> list[list[Any]]:
    """The benchmark book's accounts, some also holding Treasuries (one, two, or only bonds)."""
    from tests.test_batch import _table

    table = _table(seed, 300)
    header = [*table[0], "coupon", "maturity", "class"]
    width = len(table[0])
    rows = [[*r, None, None, None] for r in table[1:]]

    def bond(account: str, face: float, coupon: float, maturity: str) -> list[Any]:
        row: list[Any] = [None] * len(header)
        row[0] = account
        for name, value in (("symbol", f"T {coupon} {maturity[:4]}"), ("type", "bond"), ("quantity", face)):
            row[header.index(name)] = value
        row[header.index("price")] = 98.25
        row[width:] = [coupon, maturity, "treasury"]
        return row

    rows[5:5] = [bond("A03", 100000.0, 4.5, "2030-11-15"), bond("A07", -50000.0, 3.0, "2027-05-15")]
    rows += [bond("A07", 20000.0, 4.5, "2030-11-15"), bond("BONDS", 250000.0, 2.0, "2045-02-15")]
    return [header, *rows]


@pytest.mark.parametrize(
    "params", [{}, {"house": True}, {"house.bonds": "ibkr"}, {"house": True, "minimum_scope": "account"}]
)
def test_pm_batch_margins_bond_holders_with_the_others_and_equals_each_alone(
    params: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R14: an account holding a bond was margined alone (~1.2 ms each); its bonds now go into one
    Reg T call with every other account's and its other lines into the shared risk arrays. Each
    account's row, its warnings included, equals ``pm_requirement`` on the account alone."""
    import xlmargin.pm
    from xlmargin.pm import pm_requirement, pm_settings
    from xlmargin.positions import read_positions

    table = _bond_table(11)
    alone: list[int] = []
    monkeypatch.setattr(
        xlmargin.pm, "pm_requirement", lambda p, s: alone.append(len(p)) or pm_requirement(p, s)
    )
    result = batch(table, "account", "pm", params, as_of=AS_OF).set_index("account")
    assert alone == []  # no account went alone
    monkeypatch.undo()
    settings = pm_settings(params, AS_OF)
    for account, row in result.iterrows():
        own = read_positions([table[0][1:], *(r[1:] for r in table[1:] if r[0] == account)], as_of=AS_OF)
        r = pm_requirement(own, settings)
        expected = (r.requirement, r.regulatory, r.initial, r.minimum, " | ".join(r.warnings))
        found = (row["requirement"], row["regulatory"], row["initial"], row["minimum"], row["warnings"])
        assert found == expected, account
    assert "3 bond position(s) margined outside" not in result.loc["A07", "warnings"]
    assert result.loc["A07", "warnings"].count("2 bond position(s) margined outside portfolio margin") == 1
    assert result.loc["BONDS", "requirement"] > 0


def test_a_bond_the_reg_t_rule_refuses_sends_only_its_account_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    import xlmargin.pm
    from xlmargin.pm import pm_requirement

    table = _bond_table(12)
    bad = next(i for i, r in enumerate(table) if r[0] == "A03" and r[2] == "bond")
    table[bad][-1] = "equity"  # a bond class without a fixed-income rule: refused naming the row
    alone: list[int] = []
    monkeypatch.setattr(
        xlmargin.pm, "pm_requirement", lambda p, s: alone.append(len(p)) or pm_requirement(p, s)
    )
    result = batch(table, as_of=AS_OF).set_index("account")
    assert len(alone) == 1
    assert result.loc["A03", "error"].startswith(f"#UNSUP row {bad + 1}, class: "), result.loc["A03", "error"]
    assert (result.drop(index="A03")["error"] == "").all()


def test_bond_holders_on_dask_equal_the_single_process_run() -> None:
    distributed = pytest.importorskip("distributed")
    table = _bond_table(13)
    with (
        distributed.LocalCluster(processes=False, n_workers=1, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
    ):
        pd.testing.assert_frame_equal(batch(table, as_of=AS_OF, dask=client), batch(table, as_of=AS_OF))
