"""The machine's load for the status stream: CPU, memory and (when torch sees one) the GPU.

psutil is used when installed; otherwise ``os.getloadavg`` and ``/proc/meminfo`` (Linux) stand in.
GPUs come from ``nvidia-smi`` or, in a process that already uses CUDA, from torch.cuda.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

MEMINFO = Path("/proc/meminfo")
KIB = 1024
MIB = 1024 * 1024
SMI_TIMEOUT_S = 2.0


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


def _smi() -> list[dict[str, Any]] | None:
    """GPUs as ``nvidia-smi`` reports them; None without the tool or when it fails."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    query = "--query-gpu=index,name,memory.used,memory.total"
    try:
        out = subprocess.run(
            [smi, query, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=SMI_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    gpus = []
    for line in out.stdout.splitlines() if out.returncode == 0 else []:
        index, name, used, total = (part.strip() for part in line.split(","))
        gpus.append(
            {
                "index": int(index),
                "name": name,
                "memory_used_mb": float(used),
                "memory_total_mb": float(total),
            }
        )
    return gpus


def _gpu() -> list[dict[str, Any]]:
    """GPUs from ``nvidia-smi``, else from torch.cuda when this process already uses CUDA.

    The server never imports torch or opens a CUDA context for this (that would cost seconds and GPU
    memory in a process that does not train): training runs in the worker.
    """
    found = _smi()
    if found is not None:
        return found
    torch = sys.modules.get("torch")
    if torch is None or not torch.cuda.is_available() or not torch.cuda.is_initialized():
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
