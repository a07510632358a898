"""Per-call overhead of ``mcp_mesh_metrics.track_request``.

Run from the repository root::

    python benchmarks/bench_track_request.py

Times, in one process and one run, a trivial function called undecorated,
decorated with the library's ``track_request``, decorated with
``track_request`` restricted to prometheus_client's public ``inc``/``observe``
methods, and decorated in the style of the Prometheus integration guide
(labels looked up on every call, ``time.time()``), for a sync and an async
function. Each round times a batch
of ``--number`` calls of every variant in turn (interleaved, so that drift in
machine load hits all variants alike) with the garbage collector off, as
``timeit`` does; after ``--repeat`` rounds it prints, as a markdown table, the
median time per call and the overhead (median of the decorated variant minus
median of the undecorated one).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import inspect
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prometheus_client import CollectorRegistry, Counter, Histogram  # noqa: E402

from mcp_mesh_metrics import MeshMetrics, names, track_request, tracking  # noqa: E402

AGENT = "bench-agent"
METHOD = "work"

UNDECORATED = "undecorated"
LIBRARY = "`track_request` (this library)"
PUBLIC_ONLY = "`track_request`, public `inc`/`observe` only"
GUIDE = "guide-style decorator"


def guide_style(registry: CollectorRegistry) -> Callable:
    """The guide's ``track_request_duration`` decorator, for comparison only."""
    request_count = Counter(
        names.REQUESTS, "Total number of requests processed", names.REQUESTS_LABELS, registry=registry
    )
    request_duration = Histogram(
        names.REQUEST_DURATION,
        "Request duration in seconds",
        names.REQUEST_DURATION_LABELS,
        buckets=names.REQUEST_DURATION_BUCKETS,
        registry=registry,
    )

    def record(start_time: float, status: str) -> None:
        duration = time.time() - start_time
        request_count.labels(agent=AGENT, method=METHOD, status=status).inc()
        request_duration.labels(agent=AGENT, method=METHOD).observe(duration)

    def decorator(func: Callable) -> Callable:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args, **kwargs):
                start_time = time.time()
                status = "success"
                try:
                    return await func(*args, **kwargs)
                except Exception:
                    status = "error"
                    raise
                finally:
                    record(start_time, status)

            return async_wrapper

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            start_time = time.time()
            status = "success"
            try:
                return func(*args, **kwargs)
            except Exception:
                status = "error"
                raise
            finally:
                record(start_time, status)

        return wrapper

    return decorator


def work(x: int) -> int:
    return x


async def async_work(x: int) -> int:
    return x


def public_methods_only() -> Callable:
    """``track_request`` updating the children through ``inc``/``observe`` only."""
    with mock.patch.object(tracking, "counter_increment", lambda child: child.inc), mock.patch.object(
        tracking, "histogram_observer", lambda child: child.observe
    ):
        decorate = MeshMetrics(CollectorRegistry()).track_request(AGENT, METHOD)
        return decorate(work), decorate(async_work)


def sync_batch(func: Callable) -> Callable[[int], float]:
    def run(number: int) -> float:
        calls = itertools.repeat(None, number)
        start = time.perf_counter()
        for _ in calls:
            func(1)
        return time.perf_counter() - start

    return run


def async_batch(func: Callable, loop: asyncio.AbstractEventLoop) -> Callable[[int], float]:
    async def calls(number: int) -> float:
        start = time.perf_counter()
        for _ in itertools.repeat(None, number):
            await func(1)
        return time.perf_counter() - start

    return lambda number: loop.run_until_complete(calls(number))


def measure(batches: dict[str, Callable[[int], float]], number: int, repeat: int) -> dict[str, float]:
    """Median seconds per call of every batch, over interleaved rounds."""
    samples: dict[str, list[float]] = {name: [] for name in batches}
    for batch in batches.values():
        batch(number // 10)  # warm-up: first calls create caches and children
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            for name, batch in batches.items():
                samples[name].append(batch(number) / number)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: statistics.median(values) for name, values in samples.items()}


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.3f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=20_000, help="calls per batch (default 20000)")
    parser.add_argument("--repeat", type=int, default=25, help="rounds (default 25)")
    args = parser.parse_args()

    library = track_request(AGENT, METHOD, registry=CollectorRegistry())
    guide = guide_style(CollectorRegistry())
    loop = asyncio.new_event_loop()
    variants = {
        UNDECORATED: (work, async_work),
        LIBRARY: (library(work), library(async_work)),
        PUBLIC_ONLY: public_methods_only(),
        GUIDE: (guide(work), guide(async_work)),
    }
    try:
        sync_batches = {name: sync_batch(f) for name, (f, _) in variants.items()}
        async_batches = {name: async_batch(f, loop) for name, (_, f) in variants.items()}
        sync = measure(sync_batches, args.number, args.repeat)
        asyn = measure(async_batches, args.number, args.repeat)
    finally:
        loop.close()

    print(
        f"Python {platform.python_version()}, prometheus_client {version('prometheus-client')}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}; "
        f"median of {args.repeat} rounds of {args.number} calls\n"
    )
    print("| Variant | Sync: per call | Sync: overhead | Async: per call | Async: overhead |")
    print("|---|---:|---:|---:|---:|")
    for name in variants:
        cells = []
        for medians in (sync, asyn):
            cells.append(us(medians[name]))
            cells.append("—" if name == UNDECORATED else us(medians[name] - medians[UNDECORATED]))
        print(f"| {name} | " + " | ".join(cells) + " |")
    ratios = [(m[GUIDE] - m[UNDECORATED]) / (m[LIBRARY] - m[UNDECORATED]) for m in (sync, asyn)]
    print(f"| overhead ratio, guide / library | | {ratios[0]:.1f}× | | {ratios[1]:.1f}× |")


if __name__ == "__main__":
    main()
