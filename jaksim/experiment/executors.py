"""Executors that run sweep chunks: all are ``concurrent.futures.Executor`` objects.

* :class:`InProcessExecutor` (default) runs each chunk at submission, in this process; the
  ensemble solver inside already spreads one chunk's members over all cores (a thread pool
  running the GIL-free Rodas kernel), so a process pool on one machine would only add
  pickling and compilation per process.
* Dask distributed: ``Client(address).get_executor()`` — chunks go to the cluster's workers;
  each worker compiles (or loads from its disk cache) the model once.

Any other ``Executor`` (e.g. ``mpi4py.futures.MPIPoolExecutor``) can be passed to
:func:`jaksim.experiment.run_experiment` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from ..spec.errors import RunError

__all__ = ["InProcessExecutor", "dask_executor"]


class InProcessExecutor(Executor):
    """Run each submitted call immediately in the calling thread.

    Exceptions are stored in the returned future, as for any executor.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt must reach the runner
            if not isinstance(exc, Exception):
                raise
            future.set_exception(exc)
        return future


@contextmanager
def dask_executor(
    scheduler: str | None = None, workers: int | None = None, *, connect_timeout: float = 10.0
) -> AbstractContextManager[Executor]:
    """A Dask distributed executor for the scheduler at ``scheduler`` (``tcp://host:8786``),
    or for a new local cluster of ``workers`` processes when ``scheduler`` is None.
    The client (and a cluster it started) is closed on exit.

    Raises
    ------
    RunError
        The scheduler does not answer within ``connect_timeout`` seconds.
    """
    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as err:
            # distributed raises OSError/TimeoutError for a dead or unreachable scheduler and
            # ValueError for a malformed address; none of its traceback helps the user
            raise RunError(
                f"cannot connect to the Dask scheduler at {scheduler} within "
                f"{connect_timeout:g} s ({type(err).__name__}: {err}); check that it is "
                "running and reachable (--connect-timeout sets the wait)"
            ) from None
    try:
        yield client.get_executor()
    finally:
        try:
            client.close(timeout=connect_timeout)
        finally:
            if cluster is not None:
                cluster.close()
