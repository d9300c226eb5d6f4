"""torchvision's MobileNetV2 on the same libtorch as ferrokeras: forward and training-step time
of a 160x160 batch, to put beside `benches/applications.rs` (which runs this script in the
same run, between two rounds of its own).

The network is `torchvision.models.mobilenet_v2(num_classes=1000)` (width 1.0), Keras's
`MobileNetV2(input_shape=(160, 160, 3), include_top=True, weights=None)` in PyTorch: the same
convolutions, batch normalisations and ReLU6s in NCHW. Random input from a fixed seed.

- forward: `model.eval()` under `torch.inference_mode()` (Keras's `predict`), one batch;
- training step: `model.train()`, forward, cross-entropy against random labels, backward,
  `torch.optim.Adam(lr=1e-4)` step (Keras's `train_on_batch` with Adam).

Each is run `--warmup` times untimed, then `--repeats` times; prints one JSON line per
measurement with the median and the range in milliseconds:

    {"what": "forward", "median_ms": ..., "min_ms": ..., "max_ms": ..., "batch": 32, ...}

Threads: `--threads N` (default 1) sets `torch.set_num_threads(N)` and one inter-op thread,
as the Rust bench sets tch's.

Environment: a Python that imports the project venv's torch (2.13.0) and torchvision 0.28.0
(its pair). The bench uses the scratch virtualenv of `benches/keras_tf.py`'s sibling:

    python3 -m venv /root/.cache/ferrokeras-scratch/keras-torch
    echo "$FERROKERAS_VENV/lib/python3.11/site-packages" \
      > /root/.cache/ferrokeras-scratch/keras-torch/lib/python3.11/site-packages/ferrokeras-venv.pth
    /root/.cache/ferrokeras-scratch/keras-torch/bin/pip install --no-deps torchvision==0.28.0
    /root/.cache/ferrokeras-scratch/keras-torch/bin/pip install pillow
"""
import argparse
import json
import os
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=160)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    import torch
    import torchvision

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=1000)
    x = torch.rand(args.batch, 3, args.size, args.size)
    y = torch.randint(0, 1000, (args.batch,))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def forward():
        model.eval()
        with torch.inference_mode():
            model(x)

    def train_step():
        model.train()
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()

    common = {
        "batch": args.batch,
        "size": args.size,
        "threads": args.threads,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "params": sum(p.numel() for p in model.parameters()),
    }
    for what, step in [("forward", forward), ("train_step", train_step)]:
        for _ in range(args.warmup):
            step()
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            step()
            times.append((time.perf_counter() - start) * 1e3)
        print(json.dumps({
            "what": what,
            "median_ms": statistics.median(times),
            "min_ms": min(times),
            "max_ms": max(times),
            "load": os.getloadavg()[0],
            **common,
        }), flush=True)


if __name__ == "__main__":
    main()
