"""Peak memory and CPU seconds per stage of `linkage run`, from outside the process.

    .venv/bin/python benchmarks/stage_memory.py DATA/config.yaml

Runs `linkage run CONFIG` under /usr/bin/time -v, samples the run's resident memory (VmRSS in
/proc, summed over the run and the processes it starts: Spark's JVM) every 0.2 s and its CPU
seconds at each stage's progress line ("[3] link …"), and prints the whole run's wall and CPU
seconds, peak RSS and load average, then per stage its peak RSS, CPU seconds and wall seconds.
/usr/bin/time sees the run's own process only; the CPU and peak memory of the processes it
starts (on Spark, the JVM: most of the work) are printed beside it.  Point the config's
`output` at a fresh folder for each run.
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


def _descendants(pid: int) -> list[int]:
    """The processes /usr/bin/time started and theirs (not time itself)."""
    found, todo = [], _children(pid)
    while todo:
        found.append(todo.pop())
        todo.extend(_children(found[-1]))
    return found


def _rss_gib(pid: int) -> float:
    kib = 0
    for child in _descendants(pid):
        try:
            kib += next(int(line.split()[1]) for line in Path(f"/proc/{child}/status").read_text()
                        .splitlines() if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return kib / 2**20


def _cpu_by_process(pid: int) -> dict[int, float]:
    """CPU seconds so far of each process under /usr/bin/time."""
    out = {}
    for child in _descendants(pid):
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[child] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    proc = subprocess.Popen(["/usr/bin/time", "-v", str(BIN / "linkage"), "run", sys.argv[1]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stage, peaks, starts, lines = ["start"], {}, {}, []
    started: dict[int, float] = {}  # the last CPU seconds seen of processes the run started
    done = threading.Event()

    def cpu_s() -> float:
        """CPU seconds so far: the run's own process and every process it started."""
        now = _cpu_by_process(proc.pid)
        run = set(_children(proc.pid))
        started.update({p: c for p, c in now.items() if p not in run})
        return sum(c for p, c in now.items() if p in run) + sum(started.values())

    def sample() -> None:
        while not done.is_set():
            peaks[stage[0]] = max(peaks.get(stage[0], 0.0), _rss_gib(proc.pid))
            cpu_s()
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in proc.stderr:  # progress lines and, at the end, /usr/bin/time's figures
        lines.append(line)
        if m := re.match(r"\[\d+\] (.+?) …", line):
            stage[0] = m.group(1)
            starts[stage[0]] = cpu_s()
    proc.wait()
    done.set()
    sampler.join()
    text = "".join(lines)
    walls = dict(re.findall(r"^\s+(.+?) done in ([\d.]+) s$", text, flags=re.MULTILINE))
    if proc.returncode:  # what was seen before the run died (killed out of memory, say)
        print(text[-3000:])
        for name in starts:
            print(f"  {name}: peak {peaks.get(name, 0.0):.2f} GiB, wall {walls.get(name, '?')} s")
        sys.exit(f"linkage run failed (exit status {proc.returncode})")
    stats = dict(re.findall(r"^\s*(.+?): (.+)$", text, flags=re.MULTILINE))
    user, system = float(stats["User time (seconds)"]), float(stats["System time (seconds)"])
    others = sum(started.values())
    peak = max([int(stats["Maximum resident set size (kbytes)"]) / 2**20, *peaks.values()])
    print(f"wall {stats['Elapsed (wall clock) time (h:mm:ss or m:ss)']}, CPU {user:.1f} + "
          f"{system:.1f} = {user + system:.1f} s"
          + (f" + {others:.1f} s in the processes it started (Spark's JVM)" if others else "")
          + f", peak RSS {peak:.2f} GiB, load average "
          f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    names = list(starts)
    ends = [starts[n] for n in names[1:]] + [user + system + others]
    for name, start, end in zip(names, (starts[n] for n in names), ends):
        peak = f"{peaks[name]:.2f} GiB" if name in peaks else "not sampled"
        print(f"  {name}: peak {peak}, CPU {end - start:.1f} s, "
              f"wall {walls.get(name, '?')} s")


if __name__ == "__main__":
    main()
