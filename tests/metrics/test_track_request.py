"""Behaviour of the track_request decorator."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
import time
import types
import typing

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram

from mcp_mesh_metrics import names
from mcp_mesh_metrics.tracking import counter_increment, histogram_observer

AGENT = "weather-agent"


class ForecastUnavailable(Exception):
    pass


def test_every_call_is_counted_and_its_duration_lands_in_the_right_bucket(metrics, samples, clock):
    @metrics.track_request(AGENT)
    def get_forecast(seconds: float) -> str:
        clock.now += seconds
        return "sunny"

    # Two durations sit exactly on a bucket bound, which is inclusive (le).
    durations = [0.001, 0.005, 0.02, 0.2, 0.7, 3.0, 5.0, 10.0]
    for seconds in durations:
        clock.now = 0.0
        assert get_forecast(seconds) == "sunny"

    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 8
    assert samples.requests(AGENT, "get_forecast", names.STATUS_ERROR) == 0
    buckets = {
        le: samples.duration("_bucket", AGENT, "get_forecast", le=le)
        for le in ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf")
    }
    assert buckets == {
        "0.005": 2,
        "0.01": 2,
        "0.025": 3,
        "0.05": 3,
        "0.1": 3,
        "0.25": 4,
        "0.5": 4,
        "1.0": 5,
        "2.5": 5,
        "5.0": 7,
        "+Inf": 8,
    }
    assert samples.duration("_count", AGENT, "get_forecast") == 8
    assert samples.duration("_sum", AGENT, "get_forecast") == pytest.approx(18.926)


def test_a_wall_clock_step_during_a_call_does_not_distort_its_duration(metrics, samples, monkeypatch):
    wall_clock = [1_700_000_000.0]
    monkeypatch.setattr(time, "time", lambda: wall_clock[0])

    @metrics.track_request(AGENT)
    def get_forecast() -> None:
        wall_clock[0] -= 3600  # NTP steps the system clock back an hour

    get_forecast()

    assert 0 <= samples.duration("_sum", AGENT, "get_forecast") < 0.005
    assert samples.duration("_bucket", AGENT, "get_forecast", le="0.005") == 1


def test_an_exception_is_reraised_unchanged_and_counted_as_an_error(metrics, samples, clock):
    raised = ForecastUnavailable("no data for Atlantis")

    @metrics.track_request(AGENT)
    def get_forecast(location: str) -> str:
        clock.now += 0.03
        raise raised

    with pytest.raises(ForecastUnavailable) as caught:
        get_forecast("Atlantis")

    assert caught.value is raised
    assert caught.traceback[-1].name == "get_forecast"
    assert samples.requests(AGENT, "get_forecast", names.STATUS_ERROR) == 1
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 0
    assert samples.duration("_bucket", AGENT, "get_forecast", le="0.025") == 0
    assert samples.duration("_bucket", AGENT, "get_forecast", le="0.05") == 1
    assert samples.in_flight(AGENT) == 0


def test_concurrent_async_calls_are_in_flight_together_and_none_remain_after(metrics, samples):
    calls = 5

    async def scenario():
        release = asyncio.Event()
        entered = 0

        @metrics.track_request(AGENT)
        async def get_forecast(location: str) -> str:
            nonlocal entered
            entered += 1
            await release.wait()
            return location.upper()

        tasks = asyncio.gather(*(get_forecast(f"city-{i}") for i in range(calls)))
        while entered < calls:
            await asyncio.sleep(0)
        during = samples.in_flight(AGENT)
        release.set()
        return during, await tasks

    during, results = asyncio.run(scenario())

    assert during == calls
    assert results == [f"CITY-{i}" for i in range(calls)]
    assert samples.in_flight(AGENT) == 0
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == calls
    assert samples.duration("_count", AGENT, "get_forecast") == calls


def test_async_errors_and_cancellations_count_as_errors(metrics, samples):
    @metrics.track_request(AGENT)
    async def get_forecast(fail: bool) -> str:
        if fail:
            raise ForecastUnavailable("upstream down")
        await asyncio.sleep(3600)
        return "never"

    async def scenario():
        with pytest.raises(ForecastUnavailable):
            await get_forecast(True)
        task = asyncio.ensure_future(get_forecast(False))
        await asyncio.sleep(0)
        in_flight_while_waiting = samples.in_flight(AGENT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return in_flight_while_waiting

    assert asyncio.run(scenario()) == 1
    assert samples.requests(AGENT, "get_forecast", names.STATUS_ERROR) == 2
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 0
    assert samples.in_flight(AGENT) == 0


def test_calls_from_several_threads_are_in_flight_together(metrics, samples):
    threads_count = 4
    inside = threading.Barrier(threads_count + 1)
    release = threading.Event()

    @metrics.track_request(AGENT)
    def get_forecast() -> None:
        inside.wait(timeout=10)
        release.wait(timeout=10)

    threads = [threading.Thread(target=get_forecast) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    inside.wait(timeout=10)
    during = samples.in_flight(AGENT)
    release.set()
    for thread in threads:
        thread.join(timeout=10)

    assert during == threads_count
    assert samples.in_flight(AGENT) == 0
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == threads_count


def test_functions_of_one_agent_share_the_in_flight_gauge(metrics, samples):
    seen = []

    @metrics.track_request(AGENT)
    def inner() -> None:
        seen.append(samples.in_flight(AGENT))

    @metrics.track_request(AGENT)
    def outer() -> None:
        seen.append(samples.in_flight(AGENT))
        inner()

    outer()

    assert seen == [1, 2]
    assert samples.in_flight(AGENT) == 0


def test_the_connection_type_label_is_the_one_given(metrics, samples):
    @metrics.track_request(AGENT, connection_type="stream")
    def subscribe() -> float | None:
        return samples.in_flight(AGENT, "stream")

    assert subscribe() == 1
    assert samples.in_flight(AGENT) is None


def test_signature_name_and_docstring_are_kept(metrics):
    def get_forecast(location: str, days: int = 3, *, units: str = "metric") -> dict:
        """Forecast for a location."""
        return {}

    async def get_current(location: str) -> dict:
        """Current weather."""
        return {}

    tracked = metrics.track_request(AGENT)(get_forecast)
    tracked_async = metrics.track_request(AGENT)(get_current)

    assert inspect.signature(tracked) == inspect.signature(get_forecast)
    assert (tracked.__name__, tracked.__doc__) == ("get_forecast", "Forecast for a location.")
    assert tracked.__wrapped__ is get_forecast
    assert inspect.signature(tracked_async) == inspect.signature(get_current)
    assert inspect.iscoroutinefunction(tracked_async)
    assert not inspect.iscoroutinefunction(tracked)


def test_methods_are_tracked_with_their_own_name_and_receive_self(metrics, samples):
    class WeatherAgent:
        def __init__(self, name: str) -> None:
            self.name = name

        @metrics.track_request(AGENT)
        def get_forecast(self, location: str) -> str:
            return f"{self.name}:{location}"

        @metrics.track_request(AGENT, "current")
        async def get_current(self, location: str) -> str:
            return f"{self.name}:{location}"

    agent = WeatherAgent("w1")

    assert agent.get_forecast("Oslo") == "w1:Oslo"
    assert asyncio.run(agent.get_current("Rome")) == "w1:Rome"
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 1
    assert samples.requests(AGENT, "current", names.STATUS_SUCCESS) == 1
    assert samples.requests(AGENT, "get_current", names.STATUS_SUCCESS) is None


class WeatherService:
    """A dependency a mesh-style decorator injects by type annotation."""

    def forecast(self, location: str) -> str:
        return f"sunny in {location}"


def mesh_style_tool(registered: dict):
    """Registers the function it is given and injects its dependencies, as ``@mesh.tool`` does."""

    def decorate(func):
        hints = typing.get_type_hints(func)
        dependencies = {
            name: WeatherService() for name, hint in hints.items() if hint == WeatherService | None
        }

        @functools.wraps(func)
        async def injected(*args, **kwargs):
            return await func(*args, **dependencies, **kwargs)

        registered[func.__name__] = injected
        return injected

    return decorate


def test_under_a_registering_tool_decorator_the_registered_function_is_tracked(metrics, samples):
    registered: dict = {}

    @mesh_style_tool(registered)
    @metrics.track_request(AGENT)
    async def get_forecast(location: str, weather: WeatherService | None = None) -> str:
        return weather.forecast(location)

    assert asyncio.run(registered["get_forecast"]("Oslo")) == "sunny in Oslo"
    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 1


def test_series_exist_at_zero_as_soon_as_a_function_is_decorated(metrics, samples):
    @metrics.track_request(AGENT)
    def get_forecast() -> None:
        pass

    assert samples.requests(AGENT, "get_forecast", names.STATUS_SUCCESS) == 0
    assert samples.requests(AGENT, "get_forecast", names.STATUS_ERROR) == 0
    assert samples.duration("_count", AGENT, "get_forecast") == 0
    assert samples.in_flight(AGENT) == 0


def test_generator_functions_are_refused(metrics):
    def forecasts():
        yield "sunny"

    async def stream_forecasts():
        yield "sunny"

    for func in (forecasts, stream_forecasts):
        with pytest.raises(TypeError, match="generator"):
            metrics.track_request(AGENT)(func)


def fresh_children(registry: CollectorRegistry, prefix: str) -> tuple[Counter, Histogram]:
    counter = Counter(f"{prefix}_calls", "calls", ["agent"], registry=registry)
    histogram = Histogram(
        f"{prefix}_seconds", "seconds", ["agent"], buckets=names.REQUEST_DURATION_BUCKETS, registry=registry
    )
    return counter.labels("a"), histogram.labels("a")


def test_the_fast_update_path_is_used_and_exposes_what_the_public_api_would():
    fast_registry, public_registry = CollectorRegistry(), CollectorRegistry()
    fast_counter, fast_histogram = fresh_children(fast_registry, "probe")
    public_counter, public_histogram = fresh_children(public_registry, "probe")
    increment, observe = counter_increment(fast_counter), histogram_observer(fast_histogram)

    assert increment != fast_counter.inc and observe != fast_histogram.observe
    for amount in (0.0, 0.0049, 0.005, 0.0051, 0.07, 0.25, 1.0, 4.99, 5.0, 5.01, 300.0):
        increment(1)
        observe(amount)
        public_counter.inc(1)
        public_histogram.observe(amount)

    def exposed(registry):
        return [
            (s.name, s.labels, s.value)
            for family in registry.collect()
            for s in family.samples
            if not s.name.endswith("_created")
        ]

    assert exposed(fast_registry) == exposed(public_registry)


def test_without_the_expected_internals_the_public_methods_are_used():
    child = types.SimpleNamespace(inc=lambda amount=1: None, observe=lambda amount: None)

    assert counter_increment(child) is child.inc
    assert histogram_observer(child) is child.observe
