"""Shared by the benchmarks: a description of the machine, and writing a docs section."""

import datetime as dt
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "benchmarks.md"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine_line() -> str:
    return (
        f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the start, {dt.date.today().isoformat()}"
    )


def write_section(heading: str, text: str) -> None:
    """Replace (or append) the `## heading` section of docs/benchmarks.md, keeping the rest."""
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    lines = doc.splitlines(keepends=True)
    title = f"## {heading}"
    start = next((i for i, line in enumerate(lines) if line.strip() == title), None)
    if start is None:
        new = doc.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = "".join(lines[:start]) + text + ("\n" if end < len(lines) else "")
        new += "".join(lines[end:])
    DOC.write_text(new, encoding="utf-8")
