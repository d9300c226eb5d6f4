#!/usr/bin/env python3
"""Kernel benchmark: start-up, per-cell latency and memory of the ferrokeras kernel, with an
older build (--baseline) and ipykernel measured in the same run. Prints figures; asserts
nothing.

    source kernel/scripts/env.sh
    bash kernel/scripts/build_baseline.sh fcaa165      # once: kernelspec ferrokeras-fcaa165
    python kernel/scripts/bench_kernel.py --baseline fcaa165 [--cells 20] [--rounds 2] [--cold]

Latency targets are ratios (machines of one kind differ by 2x in speed), so each round
measures the current kernel and the baseline one after the other, and the summary gives the
ratio of medians over all rounds. Memory: resident set (RSS) and proportional set (PSS) of a
kernel's processes once it is idle, and of a waiting standby.

--cold also measures a first start with an empty build cache (a fresh FERROKERAS_HOME whose
session slot has never compiled the prelude): several minutes on a 2-core machine.
"""
import argparse
import json
import os
import pathlib
import statistics
import tempfile
import time

import psutil
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

# The trivial cell, exactly as a student types it.
TRIVIAL = "let x = 1 + 1; x"
PRELUDE = "let t = Tensor::from_slice(&[1.0f32, 2.0, 3.0]); t.sum(Kind::Float)"
FIRST = "Tensor::from_slice(&[1.0f32, 2.0, 3.0])"
PY_FIRST = "import torch; torch.tensor([1.0, 2.0, 3.0])"
PY_TRIVIAL = "x = 1 + 1; x"


def run_cell(kc, code, timeout=1800):
    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content']}")
    return elapsed


def start_to_first_result(kernel_name, first_cell, env):
    km = KernelManager(kernel_name=kernel_name)
    start = time.perf_counter()
    km.start_kernel(env=env)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=1800)
    run_cell(kc, first_cell)
    return km, kc, time.perf_counter() - start


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def spec_env(kernel_name, **extra):
    """The environment a kernel of this kernelspec runs with (its FERROKERAS_HOME differs)."""
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    return dict(os.environ, **spec.env, **extra)


def home_of(kernel_name):
    return pathlib.Path(spec_env(kernel_name)["FERROKERAS_HOME"])


def process_tree(pid):
    try:
        root = psutil.Process(pid)
        return [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def memory_mb(processes):
    """(RSS, PSS) of these processes together, in MB."""
    rss = pss = 0
    for p in processes:
        try:
            info = p.memory_full_info()
            rss += info.rss
            pss += info.pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss / 2**20, pss / 2**20


def standby_processes(home):
    for p in psutil.process_iter(["cmdline", "environ"]):
        cmd = p.info["cmdline"] or []
        if len(cmd) >= 2 and cmd[0].endswith("ferrokeras-kernel") and cmd[1] == "standby":
            env = p.info["environ"] or {}
            if env.get("FERROKERAS_HOME", str(home)) == str(home):
                return process_tree(p.pid)
    return []


def wait_for_standby(home, timeout=900):
    socket = home / "sessions/standby.sock"
    deadline = time.time() + timeout
    while not socket.exists() and time.time() < deadline:
        time.sleep(0.5)
    return socket.exists()


def stop_standby(home):
    for p in standby_processes(home):
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    (home / "sessions/standby.sock").unlink(missing_ok=True)
    time.sleep(1)


def median_ms(samples):
    return statistics.median(samples) * 1e3


def stats(samples):
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return f"median {median_ms(s):6.0f} ms  p90 {p90 * 1e3:6.0f} ms  (n={len(s)})"


def measure_ferrokeras(kernel_name, cells, figures):
    """One round for one build: own-session start, cells, idle memory, then a standby."""
    home = home_of(kernel_name)
    stop_standby(home)
    km, kc, t = start_to_first_result(kernel_name, FIRST, spec_env(kernel_name, FERROKERAS_STANDBY="0"))
    figures["own start"].append(t)
    figures["trivial"] += [run_cell(kc, TRIVIAL) for _ in range(cells)]
    figures["prelude"] += [run_cell(kc, PRELUDE) for _ in range(cells)]
    time.sleep(3)
    figures["idle kernel MB"].append(memory_mb(process_tree(km.provisioner.pid)))
    stop(km, kc)

    # A kernel that has run a cell leaves a standby session; the next start adopts it.
    km, kc, _ = start_to_first_result(kernel_name, FIRST, spec_env(kernel_name))
    wait_for_standby(home)
    time.sleep(3)
    figures["idle standby MB"].append(memory_mb(standby_processes(home)))
    stop(km, kc)
    km, kc, t = start_to_first_result(kernel_name, FIRST, spec_env(kernel_name))
    figures["adopted start"].append(t)
    # The adopted kernel starts the next standby after its first cell: cells while that one
    # warms up, then the same number once it waits.
    socket = home / "sessions/standby.sock"
    during = []
    while not socket.exists() and len(during) < 200:
        during.append(run_cell(kc, TRIVIAL))
    figures["during warm-up"] += during
    figures["calm"] += [run_cell(kc, TRIVIAL) for _ in range(max(len(during), 5))]
    stop(km, kc)
    stop_standby(home)


def measure_ipykernel(cells, figures):
    km, kc, t = start_to_first_result("python3", PY_FIRST, dict(os.environ))
    figures["own start"].append(t)
    figures["trivial"] += [run_cell(kc, PY_TRIVIAL) for _ in range(cells)]
    time.sleep(2)
    figures["idle kernel MB"].append(memory_mb(process_tree(km.provisioner.pid)))
    stop(km, kc)


def report(name, f):
    print(f"\n== {name}")
    for key in ("own start", "adopted start"):
        if f[key]:
            print(f"  start to first result, {key:14}: " + ", ".join(f"{t:.1f} s" for t in f[key]))
    for key in ("trivial", "prelude", "during warm-up", "calm"):
        if f[key]:
            print(f"  {key:15} cell: {stats(f[key])}")
    for key in ("idle kernel MB", "idle standby MB"):
        if f[key]:
            print(f"  {key:15}: " + ", ".join(f"RSS {r:.0f} / PSS {p:.0f}" for r, p in f[key]))


def ratio_line(label, ours, base, key, fn=statistics.median):
    if ours[key] and base[key]:
        a, b = fn(ours[key]), fn(base[key])
        print(f"  {label:32} {a:8.3f} vs {b:8.3f}   ratio {a / b:.2f}")


def new_figures():
    keys = ["own start", "adopted start", "trivial", "prelude", "during warm-up", "calm",
            "idle kernel MB", "idle standby MB"]
    return {k: [] for k in keys}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--baseline", help="commit of a kernelspec ferrokeras-<commit> (build_baseline.sh)")
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB")
    if args.cold:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, FERROKERAS_HOME=home)
            km, kc, t = start_to_first_result("ferrokeras", FIRST, env)
            print(f"ferrokeras cold start to first result (empty build cache): {t:8.1f} s")
            stop(km, kc)

    builds = ["ferrokeras"] + ([f"ferrokeras-{args.baseline}"] if args.baseline else [])
    figures = {b: new_figures() for b in builds + ["ipykernel"]}
    for round_no in range(args.rounds):
        order = builds if round_no % 2 == 0 else builds[::-1]
        for build in order:
            measure_ferrokeras(build, args.cells, figures[build])
            print(f"round {round_no + 1}: {build} done (load {os.getloadavg()[0]:.2f})", flush=True)
        measure_ipykernel(args.cells, figures["ipykernel"])
    for name, f in figures.items():
        report(name, f)

    ours, py = figures["ferrokeras"], figures["ipykernel"]
    if args.baseline:
        base = figures[f"ferrokeras-{args.baseline}"]
        print(f"\n== ferrokeras (this build) vs {args.baseline}, medians over all rounds")
        for label, key in (("trivial cell (s)", "trivial"), ("prelude cell (s)", "prelude"),
                           ("own-session start (s)", "own start"),
                           ("adopted start (s)", "adopted start"),
                           ("cell during warm-up (s)", "during warm-up")):
            ratio_line(label, ours, base, key)
        for label, key in (("idle kernel RSS (MB)", "idle kernel MB"),
                           ("idle standby RSS (MB)", "idle standby MB")):
            ratio_line(label, ours, base, key, fn=lambda v: statistics.median(r for r, _ in v))
    if ours["during warm-up"] and ours["calm"]:
        print(f"  cells during the standby's warm-up / calm cells: "
              f"{median_ms(ours['during warm-up']) / median_ms(ours['calm']):.2f}")
    print(f"  trivial-cell median, ferrokeras / ipykernel: "
          f"{statistics.median(ours['trivial']) / statistics.median(py['trivial']):.0f}x")
    print(json.dumps({"load_end": os.getloadavg()[0]}))


if __name__ == "__main__":
    main()
