"""The per-call hot path of ``track_request``.

Everything that can be resolved once is resolved when the function is
decorated: the labelled child metrics, the callables that update them and the
in-flight queue. A call then costs two clock reads, three locked additions
(counter, histogram sum, one histogram bucket), a bisection over the bucket
bounds and an append/pop on a deque, with no label lookup, dictionary or
context manager on the way.

``Counter.inc`` and ``Histogram.observe`` spend about as long re-checking
arguments and the metric's state as they spend adding, so the hot path adds to
the children's value objects directly. :func:`counter_increment` and
:func:`histogram_observer` check, at decoration time, that the installed
prometheus_client has the internals they rely on and fall back to the public
methods otherwise; the test suite checks that both paths expose the same
samples.
"""

from __future__ import annotations

import functools
import inspect
import math
from bisect import bisect_left
from collections import deque
from collections.abc import Callable
from time import perf_counter
from typing import Any, TypeVar

from prometheus_client import Counter, Histogram

F = TypeVar("F", bound=Callable[..., Any])


def counter_increment(child: Counter) -> Callable[[float], None]:
    """A callable adding a non-negative amount to ``child``, like ``child.inc(amount)``."""
    inc = getattr(getattr(child, "_value", None), "inc", None)
    return inc if callable(inc) else child.inc


def histogram_observer(child: Histogram) -> Callable[[float], None]:
    """A callable recording one observation in ``child``, like ``child.observe(amount)``."""
    bounds = getattr(child, "_upper_bounds", None)
    buckets = getattr(child, "_buckets", None)
    add_to_sum = getattr(getattr(child, "_sum", None), "inc", None)
    if not (
        isinstance(bounds, list)
        and isinstance(buckets, list)
        and len(bounds) == len(buckets)
        and bounds[-1] == math.inf
        and callable(add_to_sum)
        and all(callable(getattr(bucket, "inc", None)) for bucket in buckets)
    ):
        return child.observe
    upper_bounds = tuple(bounds)
    add_to_bucket = tuple(bucket.inc for bucket in buckets)

    def observe(amount: float) -> None:
        add_to_sum(amount)
        # The first bucket whose upper bound is >= amount; +Inf ends the list.
        add_to_bucket[bisect_left(upper_bounds, amount)](1)

    return observe


def instrument(
    func: F,
    *,
    success: Counter,
    error: Counter,
    duration: Histogram,
    in_flight: deque,
) -> F:
    """Wrap ``func`` so that every call is counted, timed and tracked in flight.

    ``success`` and ``error`` are the request counter's children for the two
    statuses, ``duration`` the histogram child, and ``in_flight`` the deque
    whose length the connections gauge reports. A call that raises (including
    a cancelled coroutine) counts as an error; the exception propagates
    unchanged.
    """
    if inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func):
        raise TypeError(
            f"track_request: {func.__qualname__} is a generator function; only the creation "
            "of its generator could be timed, not the work it does"
        )
    count_success = counter_increment(success)
    count_error = counter_increment(error)
    observe = histogram_observer(duration)
    # deque.append and deque.pop are atomic, so the queue's length is an
    # exact in-flight count across threads and tasks without taking a lock.
    enter = in_flight.append
    leave = in_flight.pop

    # The two wrappers differ only by ``await``; sharing one body would cost
    # an extra call per request.
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def tracked_async(*args: Any, **kwargs: Any) -> Any:
            enter(None)
            count = count_error
            start = perf_counter()
            try:
                result = await func(*args, **kwargs)
                count = count_success
                return result
            finally:
                observe(perf_counter() - start)
                count(1)
                leave()

        return tracked_async  # type: ignore[return-value]

    @functools.wraps(func)
    def tracked(*args: Any, **kwargs: Any) -> Any:
        enter(None)
        count = count_error
        start = perf_counter()
        try:
            result = func(*args, **kwargs)
            count = count_success
            return result
        finally:
            observe(perf_counter() - start)
            count(1)
            leave()

    return tracked  # type: ignore[return-value]
