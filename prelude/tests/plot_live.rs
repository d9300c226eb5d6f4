//! `LivePlot` in the kernel: one `display` and then `update`s of the same display id, each
//! carrying the training curves as a PNG.

use base64::Engine;
use ferrokeras::callbacks::History;
use ferrokeras::plot::LivePlot;
use std::process::Command;

const CHILD: &str = "FERROKERAS_PLOT_LIVE_CHILD";

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
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_trains_three_epochs",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("FERROKERAS_KERNEL", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let msgs: Vec<serde_json::Value> = stdout
        .lines()
        // The test harness prints "test … ... " before the child's first line.
        .filter_map(|l| {
            let prefix = ferrokeras::runtime::display::DISPLAY_LINE_PREFIX;
            l.find(prefix).map(|i| &l[i + prefix.len()..])
        })
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
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
