"""End-to-end tests against real servers (Prometheus, blackbox exporter...) on loopback.

Select them with ``pytest tests/e2e`` or ``-m e2e``; they need the Debian
packages named in :mod:`tests.servers`.
"""

from tests.servers import module_servers, servers  # noqa: F401 - fixtures


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs real servers on 127.0.0.1 (tests/e2e)")
