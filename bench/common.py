"""What every benchmark report states about the machine it ran on."""

from __future__ import annotations

import os
import platform
import sqlite3


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
