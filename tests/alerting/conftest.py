"""Alert routing under the real amtool and a real Alertmanager on loopback."""

from tests.servers import module_servers, servers  # noqa: F401 - fixtures
