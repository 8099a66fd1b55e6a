"""Blocking work (bcrypt, the Docker SDK, file walks) on named, bounded thread pools.

Each kind of work has a pool of its own, so a burst of one kind (the 500 hashes of a
roster import) never holds up another (a volume listing on the Docker engine). Every
blocking call goes through :func:`run`, whose timeout counts from the moment the work
starts, not from when it was queued behind others of its kind.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Pool:
    """A named pool of ``workers`` threads for one kind of blocking work."""

    name: str
    workers: int
    executor: ThreadPoolExecutor = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        executor = ThreadPoolExecutor(self.workers, thread_name_prefix=f"labfleet-{self.name}")
        object.__setattr__(self, "executor", executor)


# bcrypt holds a core for ~0.25 s a hash: bulk account work (imports, new users) hashes on
# one pool, logins and password changes check on another, so an import never stalls a login
HASHING = Pool("hashing", 2)
LOGINS = Pool("logins", 2)
# calls of the Docker engine's API: mostly waiting on the engine
ENGINE = Pool("engine", 8)
# file system work: accounts, folders, links, sizes, logs
FILES = Pool("files", 4)
# nbconvert rendering participants' notebooks for the instructor (CPU bound)
RENDERING = Pool("rendering", 2)


async def run(pool: Pool, fn: Callable[..., T], *args: object, timeout: float | None = None) -> T:
    """``fn(*args)`` on ``pool``; TimeoutError once it has run ``timeout`` seconds.

    Time spent queued behind other work of the pool does not count. Work given up by a
    timeout keeps its thread until it returns (a thread cannot be stopped); work whose
    caller was cancelled before it started never starts.
    """
    loop = asyncio.get_running_loop()
    started = loop.create_future()
    given_up = threading.Event()

    def work() -> T:
        if given_up.is_set():
            raise asyncio.CancelledError()
        loop.call_soon_threadsafe(lambda: started.done() or started.set_result(None))
        return fn(*args)

    future = loop.run_in_executor(pool.executor, work)
    # an answer nobody waits for any more (after a timeout) is dropped quietly
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    try:
        if timeout is None:
            return await future
        await asyncio.wait([started, future], return_when=asyncio.FIRST_COMPLETED)
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except asyncio.CancelledError:
        given_up.set()
        raise
