"""Free loopback ports for the processes tests start (a Judge, mosquitto, a studio, a fake satellite).

Standard library only: every nox session imports it, including the Home Assistant and g++ ones that
lack wakesmith. A port the kernel hands out itself (``bind(0)``) comes from the ephemeral range, where
another process's outgoing connection can take it before the process under test binds it ("address
already in use" in a CI run beside other work); ports are drawn below that range instead.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST_PORT = 10_000


def ephemeral_ports() -> tuple[int, int]:
    """The kernel's range for outgoing connections (Linux's default when it cannot be read)."""
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32_768, 60_999


def free_port() -> int:
    """A loopback port nothing is bound to now, below the ephemeral range where there is room."""
    lo, _ = ephemeral_ports()
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(LOWEST_PORT, lo) if lo > LOWEST_PORT + 1000 else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise AssertionError("no free loopback port")
