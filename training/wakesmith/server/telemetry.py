"""The machine's load for the status stream: CPU, memory and (when torch sees one) the GPU.

psutil is used when installed; otherwise ``os.getloadavg`` and ``/proc/meminfo`` (Linux) stand in.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

MEMINFO = Path("/proc/meminfo")
KIB = 1024
MIB = 1024 * 1024


def _memory() -> dict[str, float]:
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        vm = psutil.virtual_memory()
        return {"ram_total_mb": vm.total / MIB, "ram_used_mb": (vm.total - vm.available) / MIB}
    if not MEMINFO.is_file():
        return {}
    fields = {}
    for line in MEMINFO.read_text().splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts:
            fields[name] = int(parts[0]) * KIB
    total, available = fields.get("MemTotal", 0), fields.get("MemAvailable", 0)
    return {"ram_total_mb": total / MIB, "ram_used_mb": (total - available) / MIB}


def _gpu() -> list[dict[str, Any]]:
    if importlib.util.find_spec("torch") is None:
        return []
    import torch

    if not torch.cuda.is_available():
        return []
    out = []
    for i in range(torch.cuda.device_count()):
        free, total = torch.cuda.mem_get_info(i)
        out.append(
            {
                "index": i,
                "name": torch.cuda.get_device_name(i),
                "memory_used_mb": (total - free) / MIB,
                "memory_total_mb": total / MIB,
            }
        )
    return out


def snapshot(*, gpu: bool = True) -> dict[str, Any]:
    """CPU count and load averages, memory in MiB, GPUs (empty without CUDA)."""
    load1, load5, load15 = os.getloadavg()
    return {
        "cpus": os.cpu_count() or 1,
        "load_1m": round(load1, 2),
        "load_5m": round(load5, 2),
        "load_15m": round(load15, 2),
        **{k: round(v, 1) for k, v in _memory().items()},
        "gpus": _gpu() if gpu else [],
    }
