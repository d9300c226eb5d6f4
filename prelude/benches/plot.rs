//! Figure rendering speed: a 2-subplot history of 100 epochs and a 4×8 prediction grid of
//! 100×100 RGB images, each to PNG (target: under 150 ms) and to SVG.
//!
//! `cargo bench -p ferrokeras --bench plot` prints the median of several runs.

// The same synthetic history the rendering tests draw.
#[path = "../tests/common/mod.rs"]
mod common;

use common::history;
use ferrokeras::plot::{plot_history, prediction_grid, Figure};
use ferrokeras::tch::{Device, Kind, Tensor};
use std::time::{Duration, Instant};

const RUNS: usize = 15;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(name: &str, mut f: impl FnMut() -> T) {
    f(); // warm up (font registration, allocations)
    let runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    let (lo, hi) = (*runs.iter().min().unwrap(), *runs.iter().max().unwrap());
    println!(
        "{name:<48} median {:>7.2} ms  (min {:.2}, max {:.2}, {RUNS} runs)",
        median(runs).as_secs_f64() * 1e3,
        lo.as_secs_f64() * 1e3,
        hi.as_secs_f64() * 1e3
    );
}

fn grid() -> Figure {
    tch::manual_seed(0);
    let images = Tensor::rand([32, 100, 100, 3], (Kind::Float, Device::Cpu));
    let preds = Tensor::randint(3, [32], (Kind::Int64, Device::Cpu));
    let labels = Tensor::randint(3, [32], (Kind::Int64, Device::Cpu));
    prediction_grid(&images, &preds, &labels, &["rock", "paper", "scissors"]).unwrap()
}

fn main() {
    let h = history(100);
    let (w, hgt) = plot_history(&h).size();
    println!("plot_history: 2 subplots, 100 epochs, {w}x{hgt} px");
    time("plot_history(100 epochs) -> PNG", || {
        plot_history(&h).to_png().unwrap()
    });
    time("plot_history(100 epochs) -> SVG", || {
        plot_history(&h).to_svg().unwrap()
    });

    let g = grid();
    let (w, hgt) = g.size();
    println!("prediction_grid: 4x8 of 100x100 RGB, {w}x{hgt} px");
    let images = Tensor::rand([32, 100, 100, 3], (Kind::Float, Device::Cpu));
    let preds = Tensor::randint(3, [32], (Kind::Int64, Device::Cpu));
    let labels = Tensor::randint(3, [32], (Kind::Int64, Device::Cpu));
    time("prediction_grid(4x8, 100x100 RGB) -> PNG", || {
        prediction_grid(&images, &preds, &labels, &["rock", "paper", "scissors"])
            .unwrap()
            .to_png()
            .unwrap()
    });
    time("prediction_grid(4x8, 100x100 RGB) -> SVG", || {
        g.to_svg().unwrap()
    });
}
