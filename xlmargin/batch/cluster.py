"""The batch's Dask client: connected to an address within one deadline, its workers checked.

``distributed.Client(address, timeout=10)`` bounds the TCP connect only: its handshake then reads
the peer's reply without a limit, so an address that accepts the connection and never answers as
Dask does (a firewall, a proxy, the dashboard's port 8787) hung the batch for good, and a service
answering in another protocol had its first bytes read as a frame length (an "out of memory" for
an HTTP reply). :func:`connected` first speaks to the address itself, the connection, Dask's
handshake and the server's identity under one deadline (:data:`CONNECT_SECONDS`), and says what
it found: nothing listening, no reply, a reply in another protocol, a worker's address. Only a
scheduler gets a ``Client``. Before any work is sent, every worker is asked for its xlmargin
(:func:`check_workers`): a worker without it, or with another version, is named and nothing is
computed (it used to surface as a traceback from ``scatter``, exit 1).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from xlmargin.errors import XlMarginError

CONNECT_SECONDS = 10.0  # the whole connect step to a scheduler's address: connection, handshake, identity
_RETRY_SECONDS = 0.25  # between tries of a refused connection (distributed retries likewise)
WORKERS_SECONDS = 10.0  # how long a cluster without workers is waited for
PORTS = (
    "a scheduler listens on port 8786 unless started with another --port; 8787 is its dashboard, a web page"
)


@contextmanager
def dask_client(dask: Any) -> Iterator[Any]:
    """A ``distributed.Client``: the one given, one connected to an address, or a local cluster;
    its workers checked (:func:`check_workers`). None without ``dask``."""
    if dask is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise XlMarginError("--dask needs dask.distributed: pip install 'xlmargin[dask]'") from None
    if not isinstance(dask, str):
        check_workers(dask, str(getattr(dask.scheduler, "address", "the cluster")))
        yield dask
        return
    if dask == "local":
        with LocalCluster(processes=False, dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    deadline = time.monotonic() + CONNECT_SECONDS
    connected(dask, CONNECT_SECONDS)
    try:
        client = Client(dask, timeout=max(deadline - time.monotonic(), 1.0))
    except OSError as exc:
        raise XlMarginError(f"cannot reach the Dask scheduler at {dask}: {exc}") from None
    with client:
        check_workers(client, dask)
        yield client


def connected(address: str, seconds: float) -> None:
    """Refuse ``address`` unless a Dask scheduler answers there within ``seconds``, in one line
    saying what answered instead (run in a thread of its own, with its own event loop: the caller
    may be in one, a notebook's)."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import get_address_host_port
    from distributed.comm.registry import get_backend

    try:  # distributed's parse of the address: no port, an unknown scheme
        scheme, _ = parse_address(address)
        get_backend(scheme)
        if scheme in ("tcp", "tls"):
            get_address_host_port(address)
    except ValueError as exc:
        raise _not_an_address(address, exc) from None
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(asyncio.run, _identity(address, seconds, scheme)).result()
    if found != "Scheduler":
        raise XlMarginError(f"{address}: {found}")


async def _identity(address: str, seconds: float, scheme: str) -> str:
    """The type of the Dask server at ``address`` ("Scheduler", "Worker"...), or what went wrong."""
    import asyncio

    from distributed.comm import connect
    from distributed.comm.addressing import get_address_host_port

    started = time.monotonic()
    if scheme in ("tcp", "tls"):  # the connection alone first: nothing listening is said apart
        host, port = get_address_host_port(address)
        while True:  # a refused connection is tried again until the deadline: a scheduler just started
            left = max(seconds - (time.monotonic() - started), 0.1)  # may not be listening yet
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), left)
                break
            except ConnectionRefusedError:
                if time.monotonic() - started + _RETRY_SECONDS < seconds:
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                reason = f"nothing listening: the connection refused for {seconds:g} s"
            except (OSError, TimeoutError) as exc:
                reason = str(exc) or f"no connection within {seconds:g} s"
            return f"cannot reach a Dask scheduler there ({reason}); check the host and the port ({PORTS})"
        writer.close()
        with contextlib.suppress(OSError):  # the probe's socket closed before Dask's own connection
            await writer.wait_closed()
    left = max(seconds - (time.monotonic() - started), 0.1)
    try:
        comm = await asyncio.wait_for(connect(address, timeout=left), left)
    except TimeoutError:
        return (
            f"the connection was accepted but no Dask reply came within {seconds:g} s: not a Dask scheduler "
            f"(check the address: {PORTS})"
        )
    except (Exception, MemoryError) as exc:  # MemoryError: another protocol's bytes read as a length
        if isinstance(exc, OSError) and "Timed out" in str(exc):
            return f"cannot reach a Dask scheduler there ({exc}); check the host and the port ({PORTS})"
        return f"not a Dask scheduler (its reply is not Dask's protocol); check the address ({PORTS})"
    try:
        left = max(seconds - (time.monotonic() - started), 0.1)
        await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), left)
        identity = await asyncio.wait_for(comm.read(), left)
        kind = str(identity.get("type", "")) if isinstance(identity, dict) else ""
    except (Exception, MemoryError):
        kind = ""
    finally:
        comm.abort()
    if kind in ("Worker", "Nanny"):
        return (
            f"a Dask {kind.lower()}, not the scheduler: give the scheduler's address, the one its workers "
            f"were started with (dask worker tcp://scheduler:8786; {PORTS})"
        )
    if kind != "Scheduler":
        return f"not a Dask scheduler (it did not say what it is); check the address ({PORTS})"
    return kind


def worker_version() -> Callable[[], str]:
    """A function giving the xlmargin version a worker imports ("!" and the error when it cannot
    import the batch). Made in a function, so that it travels by value (cloudpickle pickles a
    function it cannot import by name whole): a worker need not import xlmargin to run it."""

    def version() -> str:
        import importlib

        try:
            importlib.import_module("xlmargin.batch.engine")
            return str(importlib.import_module("xlmargin").__version__)
        except Exception as exc:  # reported by the client, in one line
            return f"!{type(exc).__name__}: {exc}"

    return version


def _not_an_address(address: str, exc: Exception) -> XlMarginError:
    return XlMarginError(
        f"'{address}' is not a Dask scheduler address ({exc}): give one such as tcp://host:8786, "
        "or 'local' for a cluster in this process"
    )


def check_workers(client: Any, where: str) -> None:
    """Refuse a cluster whose workers cannot run the batch, before any work is sent: none within
    :data:`WORKERS_SECONDS`, or a worker that cannot import xlmargin's batch or holds another
    version than this process's (each such worker named with what it holds)."""
    import xlmargin

    try:
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except TimeoutError:
        raise XlMarginError(
            f"the Dask cluster at {where} has no workers (waited {WORKERS_SECONDS:g} s): start some with "
            f"dask worker {where}"
        ) from None

    found = client.run(worker_version())
    bad = {worker: held for worker, held in sorted(found.items()) if held != xlmargin.__version__}
    if not bad:
        return
    said = [
        f"{worker} ({'cannot import xlmargin: ' + held[1:] if held.startswith('!') else 'xlmargin ' + held})"
        for worker, held in list(bad.items())[:5]
    ]
    more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise XlMarginError(
        f"{len(bad)} of {len(found)} Dask workers at {where} cannot run the batch: {', '.join(said)}{more}; "
        f"install xlmargin {xlmargin.__version__} on every worker (pip install 'xlmargin[dask]'), as on "
        "this machine (nothing was computed)"
    )


__all__ = ["CONNECT_SECONDS", "check_workers", "connected", "dask_client", "worker_version"]
