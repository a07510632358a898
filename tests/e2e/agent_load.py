"""An instrumented agent under a steady load, run as its own process by the e2e tests.

    python -m tests.e2e.agent_load --agent weather --port 9464 --rate 10 --error-every 5 [--business]

Serves the instrumentation library's /metrics on 127.0.0.1:<port> and calls a
tracked tool ``rate`` times a second; every ``error-every``-th call raises.
With ``--business`` each call also records the library's business metrics
(revenue, an external API call, a cache hit ratio).
Prints ``ready`` once the endpoint serves, then runs until terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from prometheus_client import CollectorRegistry

from mcp_mesh_metrics import BusinessMetrics, MeshMetrics, start_metrics_server, track_request


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agent", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate", type=float, required=True, help="calls per second")
    parser.add_argument("--error-every", type=int, default=0, help="every N-th call fails (0: none)")
    parser.add_argument("--business", action="store_true", help="also record business metrics")
    args = parser.parse_args()

    registry = CollectorRegistry()
    MeshMetrics.for_registry(registry).set_agent_info(args.agent, version="1.0.0", capabilities=["forecast"])
    business = BusinessMetrics.for_registry(registry) if args.business else None
    start_metrics_server(args.port, addr="127.0.0.1", registry=registry)

    calls = 0

    @track_request(args.agent, "get_forecast", registry=registry)
    async def get_forecast(location: str) -> str:
        await asyncio.sleep(0.002)
        if business is not None:
            business.record_api_call(args.agent, api_provider="openweather", endpoint="forecast")
            business.record_revenue(args.agent, 0.01, currency="USD", product="forecast")
            business.set_cache_hit_ratio(args.agent, cache_type="forecast", ratio=(calls % 10) / 10)
        if args.error_every and calls % args.error_every == 0:
            raise RuntimeError("upstream weather service unavailable")
        return f"sunny in {location}"

    async def load() -> None:
        nonlocal calls
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            calls += 1
            try:
                await get_forecast("Lisbon")
            except RuntimeError:
                pass
            # Keep the long-run rate exact, whatever each call took.
            await asyncio.sleep(max(0.0, start + calls / args.rate - loop.time()))

    print("ready", flush=True)
    asyncio.run(load())
    return 0


if __name__ == "__main__":
    sys.exit(main())
