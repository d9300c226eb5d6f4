"""The machine side of bench_jupyterhub.py: memory (/proc/meminfo, sampled), the processes a
benchmark run started (found by the variable they all carry), their RSS, PSS and CPU time, and
stopping them. Linux only (/proc)."""
import os
import pathlib
import re
import signal
import threading
import time

# Every process a run starts carries MARKER=<the run's temporary folder> in its environment.
MARKER = "FERROKERAS_BENCH_RUN"


def meminfo() -> dict[str, int]:
    """/proc/meminfo in MB."""
    out = {}
    for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
        key, value = line.split(":", 1)
        out[key] = int(value.split()[0]) // 1024
    return out


def used_mb() -> int:
    m = meminfo()
    return m["MemTotal"] - m["MemAvailable"]


class MemorySampler(threading.Thread):
    """Samples the machine's used memory every 0.5 s, as (monotonic time, MB)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.samples.append((time.monotonic(), used_mb()))
            self.stopped.wait(0.5)

    def between(self, start: float, end: float) -> list[int]:
        return [mb for t, mb in list(self.samples) if start <= t <= end]


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, environ) of every process this user may read."""
    table = {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue  # gone, or not ours to read
        # The command name in stat may contain spaces; the ppid is the 2nd field after ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        table[int(entry.name)] = (ppid, environ)
    return table


def run_pids(marker: str) -> list[int]:
    """Every process that carries this run's marker (started by this run, directly or not)."""
    needle = f"{MARKER}={marker}\0"
    return [pid for pid, (_, env) in processes().items() if needle in env + "\0"]


def descendants(root: int, table) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def rss_pss_mb(pids) -> tuple[float, float | None]:
    """Summed RSS (statm) and PSS (smaps_rollup; None where it cannot be read) in MB."""
    page = os.sysconf("SC_PAGE_SIZE")
    rss, pss, pss_ok = 0, 0, True
    for pid in pids:
        try:
            rss += int(pathlib.Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except OSError:
            continue
        try:
            rollup = pathlib.Path(f"/proc/{pid}/smaps_rollup").read_text()
            pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1)) * 1024
        except (OSError, AttributeError):
            pss_ok = False
    return rss / 2**20, (pss / 2**20 if pss_ok else None)


def cpu_seconds(pids) -> float:
    """CPU time of the processes and of their children that have ended (cargo, rustc: a
    process's cutime/cstime count the children it has waited for)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
        except OSError:
            continue
    return total / ticks


def wait_until_idle(marker: str, limit_s: float, window_s: float = 3.0) -> float:
    """Waits until this run's processes together use under 5% of a core over `window_s`
    (a ferrokeras kernel keeps working for seconds after its first result: rust-analyzer's
    first type inference, a standby's start), at most `limit_s`; returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        pids = run_pids(marker)
        before = cpu_seconds(pids)
        time.sleep(window_s)
        if (cpu_seconds(pids) - before) / window_s < 0.05:
            break
    return time.monotonic() - start


def describe(pid: int) -> str:
    """`name(pid)`, naming a ferrokeras kernel's cell process and standby session as such."""
    try:
        argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return f"gone({pid})"
    name = pathlib.Path(argv[0].decode(errors="replace")).name
    if b"EVCXR_IS_RUNTIME=" in environ:
        name += " [cell process]"
    elif b"standby" in argv[1:2]:
        name += " [standby]"
    elif name.startswith("python") and len(argv) > 2:
        name += " " + argv[2].decode(errors="replace")  # python -m ipykernel_launcher
    return f"{name}({pid})"


def kill_run(marker: str, grace_s: float = 10.0) -> list[str]:
    """SIGTERM, then SIGKILL, to every process of this run still alive; returns what they were."""
    pids = run_pids(marker)
    names = [describe(pid) for pid in pids]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and run_pids(marker):
            time.sleep(0.2)
        if not run_pids(marker):
            break
    return names
