"""Helpers shared by the benchmark scripts: the machine record and saved run times."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import h5py

from neuroplast import storage


def machine_info() -> dict:
    """CPU, cores, Python, load average and date: what a timing was measured on."""
    return {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "load_avg": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }


def run_wall_times(folder: Path, pattern: str) -> list[dict]:
    """The wall-time record (setup, compile, binary, run) of every run under ``folder``.

    ``pattern`` globs the run folders, e.g. ``"runs/*"`` (a sweep) or ``"runs/*/*"`` (an
    experiment: condition / seed).
    """
    times = []
    for data in sorted(Path(folder).glob(f"{pattern}/{storage.DATA_FILE}")):
        with h5py.File(data, "r") as h5:
            times.append(json.loads(h5.attrs["wall_time"]))
    return times
