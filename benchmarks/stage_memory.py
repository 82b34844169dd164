"""Peak memory and CPU seconds per stage of `linkage run`, from outside the process.

    .venv/bin/python benchmarks/stage_memory.py DATA/config.yaml

Runs `linkage run CONFIG` under /usr/bin/time -v, samples the run's resident memory (VmRSS in
/proc) every 0.2 s and its CPU seconds at each stage's progress line ("[3] link …"), and prints
the whole run's wall and CPU seconds, peak RSS and load average, then per stage its peak RSS,
CPU seconds and wall seconds.  Point the config's `output` at a fresh folder for each run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_gib(pid: int) -> float:
    """Resident memory of the processes /usr/bin/time started (not of time itself)."""
    kib = 0
    for child in _children(pid):
        try:
            kib += next(int(line.split()[1]) for line in Path(f"/proc/{child}/status").read_text()
                        .splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return kib / 2**20


def _cpu_s(pid: int) -> float:
    total = 0.0
    for child in _children(pid):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    proc = subprocess.Popen(["/usr/bin/time", "-v", str(BIN / "linkage"), "run", sys.argv[1]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stage, peaks, starts, lines = ["start"], {}, {}, []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), _rss_gib(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stderr:  # progress lines and, at the end, /usr/bin/time's figures
        lines.append(line)
        if m := re.match(r"\[\d+\] (.+?) …", line):
            stage[0] = m.group(1)
            starts[stage[0]] = _cpu_s(proc.pid)
    proc.wait()
    done.set()
    sampler.join()
    text = "".join(lines)
    if proc.returncode:
        sys.exit(text[-3000:])
    stats = dict(re.findall(r"^\s*(.+?): (.+)$", text, flags=re.MULTILINE))
    user, system = float(stats["User time (seconds)"]), float(stats["System time (seconds)"])
    print(f"wall {stats['Elapsed (wall clock) time (h:mm:ss or m:ss)']}, CPU {user:.1f} + "
          f"{system:.1f} = {user + system:.1f} s, peak RSS "
          f"{int(stats['Maximum resident set size (kbytes)']) / 2**20:.2f} GiB, load average "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    names = list(starts)
    ends = [starts[n] for n in names[1:]] + [user + system]
    walls = dict(re.findall(r"^\s+(.+?) done in ([\d.]+) s$", text, flags=re.MULTILINE))
    for name, start, end in zip(names, (starts[n] for n in names), ends):
        peak = f"{peaks[name]:.2f} GiB" if name in peaks else "not sampled"
        print(f"  {name}: peak {peak}, CPU {end - start:.1f} s, "
              f"wall {walls.get(name, '?')} s")


if __name__ == "__main__":
    main()
