//! MobileNetV2 at 160×160, batch 32 — the course's transfer-learning network — in ferrokeras
//! and in PyTorch on the same libtorch, in one run.
//!
//! ferrokeras: `MobileNetV2 { input_shape: [160, 160, 3], include_top: true, weights: None }`
//! (Keras's layers, NHWC in the API), compiled with Adam(1e-4) and
//! `sparse_categorical_crossentropy`; *forward* is `predict` on one batch, *training step*
//! `train_on_batch`. PyTorch: `torchvision.models.mobilenet_v2` (`benches/torchvision_mobilenet_v2.py`,
//! run by the Python of `FERROKERAS_TORCHVISION_PYTHON`, default the scratch virtualenv its
//! docstring makes), the same network in NCHW, `inference_mode` forward and an Adam step.
//!
//! Rounds alternate, ferrokeras first and last (`ROUNDS` of ours, one fewer of PyTorch), so a
//! change in the machine's speed shows as a spread between rounds of one side. Each round's
//! figure is the median of `REPEATS` runs after `WARMUP` untimed ones; the ratio ferrokeras /
//! PyTorch is of the medians of the rounds (target: within 10 %, i.e. ≤ 1.10).
//!
//! Run: `cargo bench -p ferrokeras --bench applications` (threads: `FERROKERAS_BENCH_THREADS`,
//! default 1, as the training bench).

use ferrokeras::prelude::*;
use std::time::Instant;

const BATCH: i64 = 32;
const SIZE: i64 = 160;
const WARMUP: usize = 3;
const REPEATS: usize = 5;
const ROUNDS: usize = 3;

/// Median, min and max milliseconds of `REPEATS` runs of `step` after `WARMUP` untimed ones.
fn time_ms(mut step: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..WARMUP {
        step();
    }
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            step();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[0], times[times.len() - 1])
}

/// ferrokeras's forward and training-step times: ((median, min, max), (median, min, max)).
type Timings = ((f64, f64, f64), (f64, f64, f64));

fn ferrokeras_round() -> Timings {
    tch::manual_seed(0);
    let model = MobileNetV2 {
        input_shape: Some([SIZE, SIZE, 3]),
        weights: Weights::None,
        ..Default::default()
    }
    .build()
    .expect("MobileNetV2");
    model
        .compile(
            Adam {
                learning_rate: 1e-4,
                ..Default::default()
            },
            "sparse_categorical_crossentropy",
            Vec::<&str>::new(),
        )
        .expect("compile");
    let x = Tensor::rand([BATCH, SIZE, SIZE, 3], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(1000, [BATCH], (Kind::Int64, Device::Cpu));
    let forward = time_ms(|| {
        let _ = model.predict(&x, Predict::default()).expect("predict");
    });
    let train = time_ms(|| {
        model.train_on_batch(&x, &y).expect("train_on_batch");
    });
    (forward, train)
}

/// PyTorch's (forward, train_step) medians in ms, or why there are none.
fn torchvision_round(threads: i32) -> Result<(f64, f64), String> {
    let python = std::env::var("FERROKERAS_TORCHVISION_PYTHON")
        .unwrap_or_else(|_| "/root/.cache/ferrokeras-scratch/keras-torch/bin/python".into());
    if !std::path::Path::new(&python).exists() {
        return Err(format!(
            "no Python with torchvision at {python} (see benches/torchvision_mobilenet_v2.py)"
        ));
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/torchvision_mobilenet_v2.py"
    );
    let out = std::process::Command::new(&python)
        .args([script, "--threads", &threads.to_string()])
        .args(["--batch", &BATCH.to_string(), "--size", &SIZE.to_string()])
        .args(["--warmup", &WARMUP.to_string()])
        .args(["--repeats", &REPEATS.to_string()])
        .output()
        .map_err(|e| format!("running {python}: {e}"))?;
    let mut forward = None;
    let mut train = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        println!(
            "  torchvision {}: median {:.1} ms (range {:.1}–{:.1}), {} params, torch {}",
            v["what"].as_str().unwrap_or("?"),
            v["median_ms"].as_f64().unwrap_or(f64::NAN),
            v["min_ms"].as_f64().unwrap_or(f64::NAN),
            v["max_ms"].as_f64().unwrap_or(f64::NAN),
            v["params"],
            v["torch"].as_str().unwrap_or("?"),
        );
        match v["what"].as_str() {
            Some("forward") => forward = v["median_ms"].as_f64(),
            Some("train_step") => train = v["median_ms"].as_f64(),
            _ => {}
        }
    }
    match (forward, train) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("no output")
            .to_string()),
    }
}

fn show(round: usize, ((f, f0, f1), (t, t0, t1)): Timings) {
    println!(
        "  round {round}: ferrokeras forward: median {f:.1} ms (range {f0:.1}–{f1:.1}); \
         training step: median {t:.1} ms (range {t0:.1}–{t1:.1})"
    );
}

fn main() {
    let threads = std::env::var("FERROKERAS_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    tch::set_num_threads(threads);
    let load = || {
        let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
        l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    };
    println!(
        "MobileNetV2 {SIZE}x{SIZE}, batch {BATCH}, {} intra-op threads, CPU; load average: {}",
        tch::get_num_threads(),
        load()
    );
    // Alternating rounds, ferrokeras first and last: a change in the machine's speed during the
    // run shows as a spread between rounds of the same side.
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 1..=ROUNDS {
        let t = ferrokeras_round();
        show(round, t);
        ours.push(t);
        if round < ROUNDS {
            match torchvision_round(threads) {
                Ok(t) => theirs.push(t),
                Err(why) => println!("  torchvision round skipped: {why}"),
            }
        }
    }
    println!("load average after: {}", load());
    if theirs.is_empty() {
        return;
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (f_ours, t_ours) = (
        median(ours.iter().map(|t| t.0 .0).collect()),
        median(ours.iter().map(|t| t.1 .0).collect()),
    );
    let (f_theirs, t_theirs) = (
        median(theirs.iter().map(|t| t.0).collect()),
        median(theirs.iter().map(|t| t.1).collect()),
    );
    println!("ferrokeras / torchvision, median of the rounds' medians (target ≤ 1.10):");
    println!(
        "  forward: {f_ours:.1} / {f_theirs:.1} ms = {:.2}x; training step: {t_ours:.1} / {t_theirs:.1} ms = {:.2}x",
        f_ours / f_theirs,
        t_ours / t_theirs
    );
}
