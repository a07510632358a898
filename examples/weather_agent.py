"""A weather agent on MCP Mesh, instrumented with mcp_mesh_metrics.

Needs `pip install mcp-mesh` and this repository's package. Run it with
`python examples/weather_agent.py`; with MCP_MESH_STANDALONE=true it runs
without a registry.
"""

import mesh
from fastmcp import FastMCP

from mcp_mesh_metrics import MeshMetrics, start_metrics_server, track_request

AGENT = "weather-agent"  # the mesh name: @mesh.agent's name and the `agent` label of every series
CAPABILITY = "weather_forecast"

app = FastMCP("Weather")

MeshMetrics.for_registry().set_agent_info(AGENT, version="1.0.0", capabilities=[CAPABILITY])
# Before @mesh.agent: with auto_run (the default) it starts the agent's server
# and blocks while the agent serves, so code below it runs only at shutdown.
start_metrics_server()  # /metrics on port 9464, the port the agent pod's annotations name


@mesh.tool(capability=CAPABILITY)
@app.tool()
@track_request(AGENT)  # innermost: FastMCP and the mesh both call the tracked function
async def get_forecast(location: str) -> dict:
    """Tomorrow's forecast for a location."""
    if not location.strip():
        raise ValueError("location must not be empty")
    return {"location": location, "forecast": "sunny", "temperature_c": 21}


@mesh.agent(name=AGENT, version="1.0.0", http_port=8080)
class WeatherAgent:
    pass
