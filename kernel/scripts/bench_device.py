#!/usr/bin/env python3
"""What loading libtorch's CUDA backend costs a session: own-session start to first result and
idle memory of a kernel with FERROKERAS_DEVICE=auto (on a machine without an NVIDIA driver the
CUDA library is not loaded), =cpu, and =cuda (loaded regardless), measured one after the other
in each round (order rotated between rounds). Prints figures; asserts nothing.

    source kernel/scripts/env.sh
    python kernel/scripts/bench_device.py [--rounds 3]
"""
import argparse
import statistics
import time

from bench_kernel import FIRST, memory_mb, process_tree, spec_env, start_to_first_result, stop

SETTINGS = ["auto", "cpu", "cuda"]
# A cell that builds a model, as a course notebook's first model does; on the CPU in every
# setting (this machine may have no GPU), with the CUDA library loaded or not at start.
MODEL = ("set_device(Device::Cpu); "
         "let m = Sequential::new().add(Input::new([4])).add(Dense::new(2)); m.build()?; "
         "tch::Cuda::device_count()")


def one(setting, kernel):
    env = spec_env(kernel, FERROKERAS_STANDBY="0", FERROKERAS_DEVICE=setting)
    km, kc, t = start_to_first_result(kernel, FIRST, env)
    reply = kc.execute_interactive(MODEL, timeout=600, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok", reply["content"]
    time.sleep(3)
    rss, pss = memory_mb(process_tree(km.provisioner.pid))
    stop(km, kc)
    return t, rss, pss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--kernel", default="ferrokeras")
    args = ap.parse_args()
    figures = {s: [] for s in SETTINGS}
    # Warm the build cache once (not counted): the first start after a change compiles.
    stop(*start_to_first_result(args.kernel, FIRST, spec_env(args.kernel, FERROKERAS_STANDBY="0"))[:2])
    for r in range(args.rounds):
        order = SETTINGS[r % 3:] + SETTINGS[:r % 3]
        for s in order:
            figures[s].append(one(s, args.kernel))
            t, rss, pss = figures[s][-1]
            print(f"round {r + 1} {s:5}: start {t:5.2f} s  idle RSS {rss:6.0f} MB  PSS {pss:6.0f} MB",
                  flush=True)
    print("\nmedians (own-session start to first result; idle kernel process tree)")
    for s in SETTINGS:
        ts, rs, ps = zip(*figures[s])
        print(f"  FERROKERAS_DEVICE={s:5}: start {statistics.median(ts):5.2f} s "
              f"(range {min(ts):.2f}-{max(ts):.2f})  RSS {statistics.median(rs):6.0f} MB  "
              f"PSS {statistics.median(ps):6.0f} MB")


if __name__ == "__main__":
    main()
