"""A small stack sampler for the benchmark's processes (py-spy is not installed): a daemon thread looks at every
Python thread's stack every few milliseconds (`sys._current_frames()`) and counts it, folded, in the format
flame-graph tools read (`frame;frame;frame count`), weighted by the CPU time the thread used since the previous
look (`pthread_getcpuclockid`): a thread waiting for the GIL or blocked counts nothing; work done just before a
thread blocked counts against the frame it waits in (the event loop's selector, SQLite's queue).

    python -m bench.sampler OUT.folded worker.py            # run worker.py under the sampler
    python -m bench.sampler OUT.folded -m api.main          # run a module under it
    python -m bench.sampler --top 40 OUT.folded             # print the hottest functions (self and total)

`bench.api_load --sample DIR` runs the worker and the API under it and sends them SIGUSR1 (forget what was counted
so far) when its CPU phase starts; the file is written when the process exits. The Temporal Core's own threads are
native and not seen (their cost is in the process's CPU, not here). The sampler can only look when a thread lets go
of the GIL, so frames that release it (socket writes, SQLite, AES-GCM) collect more than their share: read it for
where the time goes, and its GC line (time in the collector by generation, from `gc.callbacks`) for how much.
"""

from __future__ import annotations

import atexit
import gc
import os
import runpy
import signal
import sys
import threading
import time
from collections import Counter
from types import FrameType


def _stack(frame: FrameType | None) -> list[str]:
    names = []
    while frame is not None:
        code = frame.f_code
        names.append(f"{code.co_name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})")
        frame = frame.f_back
    names.reverse()
    return names


class Sampler:
    def __init__(self, out: str, interval: float = 0.005) -> None:
        self.out, self.interval = out, interval
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._me = 0
        self.gc_seconds = [0.0, 0.0, 0.0]  # time in the cyclic garbage collector, by generation
        self.gc_runs = [0, 0, 0]
        self._gc_started = 0.0

    def start(self) -> None:
        thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        thread.start()
        self._me = thread.ident or 0
        atexit.register(self.write)
        gc.callbacks.append(self._gc)
        signal.signal(signal.SIGUSR1, lambda *_: self.reset())  # the measured phase starts now

    def reset(self) -> None:
        self.counts.clear()
        self.samples = 0
        self.gc_seconds, self.gc_runs = [0.0, 0.0, 0.0], [0, 0, 0]

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_seconds[info["generation"]] += time.perf_counter() - self._gc_started
            self.gc_runs[info["generation"]] += 1

    def _run(self) -> None:
        cpu: dict[int, float] = {}  # thread → its CPU seconds at the last look
        while True:
            time.sleep(self.interval)
            self.samples += 1
            for ident, frame in sys._current_frames().items():
                if ident == self._me:
                    continue
                try:
                    now = time.clock_gettime(time.pthread_getcpuclockid(ident))
                except (OSError, OverflowError):  # the thread ended in between
                    continue
                spent, cpu[ident] = now - cpu.get(ident, now), now
                # Weighted by the CPU the thread used since the last look: a thread waiting for the GIL or in a
                # blocking call counts (almost) nothing, whatever frame it waits in.
                # (A thread found waiting, e.g. the event loop in its selector, did its work before it got
                # there: that work is counted against the waiting frame rather than dropped.)
                if spent > 0:
                    self.counts[";".join(_stack(frame))] += round(spent * 1e6)

    def write(self) -> None:
        with open(self.out, "w") as f:
            f.write(f"# samples {self.samples} every {self.interval * 1000:g} ms, counts are CPU microseconds\n")
            f.write(f"# gc seconds by generation {[round(t, 3) for t in self.gc_seconds]} runs {self.gc_runs}\n")
            for stack, n in self.counts.most_common():
                f.write(f"{stack} {n}\n")


def top(path: str, n: int) -> None:
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    busy = 0
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                print(line.strip())
                continue
            stack, _, count = line.rstrip().rpartition(" ")
            frames, k = stack.split(";"), int(count)
            busy += k
            self_counts[frames[-1]] += k
            for name in set(frames):
                total_counts[name] += k
    print(f"CPU seconds seen in Python threads {busy / 1e6:.1f}")
    for title, counts in (("self", self_counts), ("total", total_counts)):
        print(f"--- {title}")
        for name, k in counts.most_common(n):
            print(f"{100 * k / max(1, busy):6.1f}%  {name}")


def main(argv: list[str]) -> None:
    if argv[0] == "--top":
        top(argv[2], int(argv[1]))
        return
    out, target = argv[0], argv[1:]
    Sampler(out).start()
    # uvicorn re-raises the SIGTERM it caught once it has shut down: exit through atexit so the file is written
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if target[0] == "-m":
        sys.argv = [target[1], *target[2:]]
        runpy.run_module(target[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = target
        sys.path.insert(0, os.path.dirname(os.path.abspath(target[0])))
        runpy.run_path(target[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
