"""`--engine dask`: a build's page chunks parsed, and its partitions written, on a Dask
cluster.

The same `parse_pages` runs on the cluster's workers as in the local process pool: each
task reads its chunk's pages, writes their rows to the spool itself (a folder every worker
sees) and gives back only where the rows went, the rejects and the warnings. Tasks are
named by chunk number, and the results are taken in chunk order, so every decision that
makes a release reproducible (order, dedup, row groups) is made by the client from the
same results as a local build's: the files are byte for byte the same. With `--layout
partitioned`, the partitions are tasks too (`packager.assemble.partitions`): each writes its
files into the work folder, which the workers must see (a shared folder), and gives back
its counts.

A worker that dies mid-task has its task run again elsewhere (Dask's own retry); the
retry writes the same spool files under the same names. A cluster that goes away ends
the build with one `ReleaseWriteError` and no release. Dask is optional
(``pip install 'packager[dask]'``); without it, `--engine dask` is a `UsageError`.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from packager.assemble.parsing import IN_FLIGHT, Job, Parsed, chunk_of, parse_pages
from packager.errors import ReleaseWriteError, UsageError

SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"
T = TypeVar("T")


def _distributed() -> Any:
    try:
        import distributed  # noqa: PLC0415 - optional, and 0.5 s to import
    except ImportError:
        raise UsageError(
            "--engine dask needs Dask's distributed scheduler: pip install 'packager[dask]'"
        ) from None
    return distributed


@dataclass
class DaskEngine:
    """Runs a build's tasks on the Dask cluster at `scheduler` (an address; default: the
    DASK_SCHEDULER_ADDRESS variable), or, with neither, on a `LocalCluster` of `workers`
    processes started at the first task and closed by `close`. `client` is a
    `distributed.Client` already connected (a test's, a notebook's), which the engine
    leaves open."""

    scheduler: str | None = None
    workers: int = 1
    client: Any = None
    _owned: Any = field(default=None, repr=False)  # (client, cluster) started here

    def chunks(self, job: Job, spans: list[tuple[int, int]]) -> Iterator[Parsed]:
        distributed = _distributed()
        if not spans:
            return  # no pages: no cluster to start
        yield from self._run(self._client(distributed), distributed, job, spans)

    def run(self, function: Callable[..., T], calls: list[tuple[Any, ...]], name: str) -> list[T]:
        """`function(*call)` for each call as tasks of the cluster, named by `name` and
        place; the results in order."""
        distributed = _distributed()
        if not calls:
            return []
        client = self._client(distributed)
        token = os.urandom(4).hex()
        futures = [
            client.submit(function, *call, key=f"packager-{name}-{token}-{k:06d}", pure=False)
            for k, call in enumerate(calls)
        ]
        with _cluster_errors(distributed):
            try:
                return [future.result() for future in futures]
            finally:
                _cancel(distributed, futures)

    def close(self) -> None:
        """Close the client and the cluster this engine started (none it was given)."""
        owned, self._owned = self._owned, None
        if owned is not None:
            client, cluster = owned
            with contextlib.suppress(OSError, TimeoutError, RuntimeError):
                client.close()
                if cluster is not None:
                    cluster.close()

    def _client(self, distributed: Any) -> Any:
        if self.client is not None:
            return self.client
        if self._owned is None:
            self._owned = self._connect(distributed)
        return self._owned[0]

    def _connect(self, distributed: Any) -> tuple[Any, Any]:
        """A client, and the cluster started for this build (None if it was not)."""
        address = self.scheduler or os.environ.get(SCHEDULER_VARIABLE)
        try:
            if address:
                return distributed.Client(address, timeout="10s"), None
            cluster = distributed.LocalCluster(
                n_workers=max(1, self.workers),
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
            )
            return distributed.Client(cluster), cluster
        except (OSError, TimeoutError, RuntimeError) as exc:  # RuntimeError: a worker
            # that could not start (Dask's own error for it)
            where = address or "a local cluster"
            raise ReleaseWriteError(f"cannot reach the Dask scheduler at {where}: {exc}") from None

    def _run(
        self, client: Any, distributed: Any, job: Job, spans: list[tuple[int, int]]
    ) -> Iterator[Parsed]:
        """The chunks' results in chunk order, at most `IN_FLIGHT` chunks a worker queued."""
        workers = max(1, len(client.scheduler_info().get("workers", {})) or self.workers)
        queue: deque[Any] = deque()
        numbered = iter(enumerate(spans))
        token = os.urandom(4).hex()  # keys are named by chunk, unique to this build

        def submit() -> None:
            for number, span in numbered:
                queue.append(
                    client.submit(
                        parse_pages,
                        job,
                        number,
                        chunk_of(span),
                        key=f"packager-chunk-{token}-{number:06d}",
                        pure=False,
                    )  # fmt: skip
                )
                if len(queue) >= workers * IN_FLIGHT:
                    return

        submit()
        with _cluster_errors(distributed):
            try:
                while queue:
                    result = queue.popleft().result()
                    submit()
                    yield result
            finally:
                _cancel(distributed, queue)


@contextlib.contextmanager
def _cluster_errors(distributed: Any) -> Iterator[None]:
    """A cluster that goes away mid-build: one `ReleaseWriteError`."""
    try:
        yield
    except (OSError, TimeoutError, distributed.CancelledError, distributed.KilledWorker) as exc:
        raise ReleaseWriteError(
            f"the Dask cluster went away: {exc or type(exc).__name__}"
        ) from None


def _cancel(distributed: Any, futures: Iterable[Any]) -> None:
    """Cancel the tasks still queued: not wanted (after a failure, the client may be gone)."""
    with contextlib.suppress(OSError, TimeoutError, distributed.client.ClosedClientError):
        for future in futures:
            future.cancel()
