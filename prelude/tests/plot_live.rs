//! `LivePlot` in the kernel: one `display` and then `update`s of the same display id, each
//! carrying the training curves as a PNG.

use base64::Engine;
use ferrokeras::callbacks::History;
use ferrokeras::plot::LivePlot;
use ferrokeras::prelude::*;
use std::process::Command;

const CHILD: &str = "FERROKERAS_PLOT_LIVE_CHILD";
const FIT_CHILD: &str = "FERROKERAS_PLOT_LIVE_FIT_CHILD";

/// Runs `test` of this binary as a child process, as if inside the kernel; returns the
/// display messages it printed.
fn displays_of_child(test: &str, flag: &str) -> Vec<serde_json::Value> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(flag, "1")
        .env("FERROKERAS_KERNEL", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .lines()
        // The test harness prints "test … ... " before the child's first line.
        .filter_map(|l| {
            let prefix = ferrokeras::runtime::display::DISPLAY_LINE_PREFIX;
            l.find(prefix).map(|i| &l[i + prefix.len()..])
        })
        .map(|j| serde_json::from_str(j).unwrap())
        .collect()
}

/// Runs only as the child process of the fit test below: a real `fit` with a `LivePlot`
/// callback and the default progress bar.
#[test]
fn child_fits_three_epochs_with_live_plot() {
    if std::env::var_os(FIT_CHILD).is_none() {
        return;
    }
    set_random_seed(0);
    let x = Tensor::rand([40, 3], (Kind::Float, Device::Cpu));
    let y = x.sum_dim_intlist(1, true, Kind::Float);
    let model = Sequential::new()
        .add(Input::new([3]))
        .add(Dense::new(4).activation("relu"))
        .add(Dense::new(1));
    model.compile("adam", "mse", ["mae"]).unwrap();
    let history = model
        .fit(
            &x,
            &y,
            Fit {
                epochs: 3,
                batch_size: 8,
                validation_split: 0.2,
                callbacks: vec![Box::new(LivePlot::new())],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(history["val_loss"].len(), 3);
}

#[test]
fn fit_with_live_plot_redraws_in_place_beside_the_progress_bar() {
    let msgs = displays_of_child("child_fits_three_epochs_with_live_plot", FIT_CHILD);
    let plots: Vec<&serde_json::Value> = msgs
        .iter()
        .filter(|m| m["data"]["image/png"].is_string())
        .collect();
    let ops: Vec<&str> = plots.iter().map(|m| m["op"].as_str().unwrap()).collect();
    assert_eq!(ops, vec!["display", "update", "update"]);
    let id = plots[0]["display_id"].as_str().unwrap();
    assert!(plots.iter().all(|m| m["display_id"] == id));
    // The progress bars are displays of their own, not replaced by the plot.
    let bars: Vec<&serde_json::Value> = msgs
        .iter()
        .filter(|m| m["data"]["image/png"].is_null())
        .collect();
    assert!(!bars.is_empty(), "no progress bar displays: {msgs:?}");
    assert!(bars.iter().all(|m| m["display_id"] != id));
    let mut pngs = Vec::new();
    for m in &plots {
        let png = base64::engine::general_purpose::STANDARD
            .decode(m["data"]["image/png"].as_str().unwrap())
            .unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(
            (img.width(), img.height()),
            (1000, 400),
            "loss and mae side by side"
        );
        pngs.push(png);
    }
    // Each redraw has one more epoch.
    pngs.dedup();
    assert_eq!(pngs.len(), 3);
}

/// Runs only as the child process of the test below, as if inside the kernel.
#[test]
fn child_trains_three_epochs() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let mut live = LivePlot::new();
    let mut h = History::default();
    for e in 0..3 {
        let t = e as f64;
        h.push_epoch(&[("loss", 1.0 / (1.0 + t)), ("val_loss", 1.2 / (1.0 + t))]);
        live.on_epoch_end(&h);
    }
    assert_eq!(live.redraws(), 3);
}

#[test]
fn live_plot_displays_once_then_updates_in_place() {
    let msgs = displays_of_child("child_trains_three_epochs", CHILD);
    let ops: Vec<&str> = msgs.iter().map(|m| m["op"].as_str().unwrap()).collect();
    assert_eq!(ops, vec!["display", "update", "update"]);
    let id = msgs[0]["display_id"].as_str().unwrap();
    assert!(msgs.iter().all(|m| m["display_id"] == id));
    for m in &msgs {
        let png = base64::engine::general_purpose::STANDARD
            .decode(m["data"]["image/png"].as_str().unwrap())
            .unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (500, 400));
    }
}

#[test]
fn live_plot_is_silent_outside_the_notebook() {
    if std::env::var_os("FERROKERAS_KERNEL").is_some() {
        return;
    }
    let mut live = LivePlot::new();
    let mut h = History::default();
    h.push_epoch(&[("loss", 1.0)]);
    live.update(&h);
    assert_eq!(live.redraws(), 0);
    assert!(live.handle().is_none());
}
