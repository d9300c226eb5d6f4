#!/usr/bin/env python3
"""Kernel benchmark: start-up and per-cell latency of the ferrokeras kernel, with ipykernel
(Python) measured in the same run for comparison. Prints figures; asserts nothing.

    source kernel/scripts/env.sh
    python kernel/scripts/bench_kernel.py [--cells 20] [--cold]

--cold also measures a first start with an empty build cache (a fresh FERROKERAS_HOME whose
session slot has never compiled the prelude): several minutes on a 2-core machine.
"""
import argparse
import os
import pathlib
import statistics
import tempfile
import time

from jupyter_client.manager import KernelManager

# The trivial cell, exactly as a student types it.
TRIVIAL = "let x = 1 + 1; x"
PRELUDE = "let t = Tensor::from_slice(&[1.0f32, 2.0, 3.0]); t.sum(Kind::Float)"
PY_TRIVIAL = "x = 1 + 1; x"


def run_cell(kc, code, timeout=1800):
    start = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=timeout, output_hook=lambda msg: None)
    elapsed = time.perf_counter() - start
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"cell failed: {code!r}: {reply['content']}")
    return elapsed


def start_to_first_result(kernel_name, first_cell, env=None):
    km = KernelManager(kernel_name=kernel_name)
    start = time.perf_counter()
    km.start_kernel(env=env if env is not None else dict(os.environ))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=1800)
    run_cell(kc, first_cell)
    return km, kc, time.perf_counter() - start


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def stats(samples):
    s = sorted(samples)
    p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
    return f"median {statistics.median(s) * 1e3:7.0f} ms   p90 {p90 * 1e3:7.0f} ms   (n={len(s)})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--cold", action="store_true")
    args = ap.parse_args()

    print(f"machine: {os.cpu_count()} cores")
    if args.cold:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, FERROKERAS_HOME=home)
            km, kc, t = start_to_first_result("ferrokeras", "Tensor::from_slice(&[1.0f32, 2.0, 3.0])", env)
            print(f"ferrokeras cold start to first result (empty build cache): {t:8.1f} s")
            stop(km, kc)

    first = "Tensor::from_slice(&[1.0f32, 2.0, 3.0])"
    no_standby = dict(os.environ, FERROKERAS_STANDBY="0")
    km, kc, t = start_to_first_result("ferrokeras", first, no_standby)
    print(f"ferrokeras warm start to first result, own session:        {t:8.1f} s")
    trivial = [run_cell(kc, TRIVIAL) for _ in range(args.cells)]
    prelude = [run_cell(kc, PRELUDE) for _ in range(args.cells)]
    print(f"ferrokeras trivial cell  `{TRIVIAL}`: {stats(trivial)}")
    print(f"ferrokeras prelude cell  `{PRELUDE}`: {stats(prelude)}")
    stop(km, kc)

    # A kernel that has run a cell leaves a standby session; the next start adopts it.
    km, kc, _ = start_to_first_result("ferrokeras", first)
    socket = pathlib.Path(os.environ.get("FERROKERAS_HOME", pathlib.Path.home() / ".cache/ferrokeras")) / "sessions/standby.sock"
    deadline = time.time() + 600
    while not socket.exists() and time.time() < deadline:
        time.sleep(0.5)
    stop(km, kc)
    km, kc, t = start_to_first_result("ferrokeras", first)
    print(f"ferrokeras warm start to first result, standby adopted:    {t:8.1f} s")
    adopted = [run_cell(kc, TRIVIAL) for _ in range(args.cells)]
    print(f"ferrokeras trivial cell in the adopted session: {stats(adopted)}")
    stop(km, kc)

    km, kc, t = start_to_first_result("python3", PY_TRIVIAL)
    print(f"ipykernel start to first result:                            {t:8.1f} s")
    py = [run_cell(kc, PY_TRIVIAL) for _ in range(args.cells)]
    print(f"ipykernel trivial cell   `{PY_TRIVIAL}`: {stats(py)}")
    stop(km, kc)
    ratio = statistics.median(trivial) / statistics.median(py)
    print(f"trivial-cell median, ferrokeras / ipykernel: {ratio:.0f}x")


if __name__ == "__main__":
    main()
