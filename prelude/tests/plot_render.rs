//! Renders every ready-made figure to PNG and SVG and checks what is drawn: sizes, colours
//! under titles, image pixels, line colours and the text in the SVG.

mod common;

use base64::Engine;
use common::history;
use ferrokeras::callbacks::History;
use ferrokeras::plot::*;
use ferrokeras::runtime::Render;
use ferrokeras::tch::{Device, Kind, Tensor};
use std::collections::BTreeMap;

fn decode_png(png: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("valid PNG")
        .to_rgb8()
}

/// Renders both ways; checks the PNG's and the SVG's size and that something is drawn.
fn render_both(fig: &Figure) -> (image::RgbImage, String) {
    let (w, h) = fig.size();
    let png = decode_png(&fig.to_png().expect("PNG render"));
    assert_eq!(png.dimensions(), (w, h));
    let non_white = png.pixels().filter(|p| p.0 != [255, 255, 255]).count();
    assert!(non_white > 100, "only {non_white} pixels drawn");
    let svg = fig.to_svg().expect("SVG render");
    assert!(svg.contains(&format!("width=\"{w}\"")), "SVG width");
    assert!(svg.contains(&format!("height=\"{h}\"")), "SVG height");
    assert!(svg.trim_end().ends_with("</svg>"));
    (png, svg)
}

/// The text content of every `<text>` element of an SVG (entities unescaped).
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(
                t[start..end]
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

fn has_text(svg: &str, text: &str) -> bool {
    svg_texts(svg).iter().any(|t| t == text)
}

fn is_green(p: &image::Rgb<u8>) -> bool {
    p.0[1] > 90 && p.0[0] < 70 && p.0[2] < 70
}
fn is_red(p: &image::Rgb<u8>) -> bool {
    p.0[0] > 180 && p.0[1] < 70 && p.0[2] < 70
}

#[test]
fn history_draws_two_distinct_line_colours_and_labels() {
    let mut h = History::default();
    for e in 0..10 {
        h.push_epoch(&[
            ("loss", 1.0 - e as f64 * 0.05),
            ("val_loss", 1.2 - e as f64 * 0.04),
        ]);
    }
    let fig = plot_history(&h);
    assert_eq!(fig.size(), (500, 400));
    let (png, svg) = render_both(&fig);
    let count = |c: [u8; 3]| png.pixels().filter(|p| p.0 == c).count();
    let train = count([0x1f, 0x77, 0xb4]);
    let val = count([0xff, 0x7f, 0x0e]);
    assert!(train > 100 && val > 100, "train {train} px, val {val} px");
    let svg_lower = svg.to_lowercase();
    assert!(svg_lower.contains("#1f77b4") && svg_lower.contains("#ff7f0e"));
    for text in ["loss", "training", "validation", "Epoch"] {
        assert!(has_text(&svg, text), "SVG lacks {text}");
    }
}

#[test]
fn history_of_four_series_has_two_subplots_with_titles() {
    let fig = plot_history(&history(100));
    assert_eq!(fig.grid(), (1, 2));
    let (_, svg) = render_both(&fig);
    assert!(has_text(&svg, "loss") && has_text(&svg, "accuracy"));
    // Swedish labels, as in the notebook.
    let opts = HistoryPlot {
        train_label: "Träning".into(),
        val_label: "Validering".into(),
        ..Default::default()
    };
    let svg = plot_history_with(&history(5), &opts).to_svg().unwrap();
    assert!(svg.contains("Träning") && svg.contains("Validering"));
}

#[test]
fn prediction_grid_titles_are_green_when_right_and_red_when_wrong() {
    // Blue images, so no green or red comes from them.
    let images = Tensor::zeros([8, 100, 100, 3], (Kind::Float, Device::Cpu));
    let _ = images.narrow(3, 2, 1).fill_(1.0);
    let preds = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 0, 1]);
    let labels = Tensor::from_slice(&[0i64, 1, 0, 1, 1, 2, 2, 1]);
    let right = [true, true, false, false, true, true, false, true];
    let fig = prediction_grid(&images, &preds, &labels, &["rock", "paper", "scissors"]).unwrap();
    assert_eq!(fig.grid(), (2, 4));
    let (png, svg) = render_both(&fig);
    let (w, h) = png.dimensions();
    let (cw, ch) = (w / 4, h / 2);
    for (i, &ok) in right.iter().enumerate() {
        let (x0, y0) = ((i as u32 % 4) * cw, (i as u32 / 4) * ch);
        // The title band: the top 40 pixels of the cell, above the image.
        let (mut green, mut red) = (0, 0);
        for y in y0..y0 + 40 {
            for x in x0..x0 + cw {
                let p = png.get_pixel(x, y);
                green += is_green(p) as usize;
                red += is_red(p) as usize;
            }
        }
        if ok {
            assert!(green > 30 && red == 0, "cell {i}: green {green}, red {red}");
        } else {
            assert!(red > 30 && green == 0, "cell {i}: green {green}, red {red}");
        }
        // Below the title the image is blue.
        let p = png.get_pixel(x0 + cw / 2, y0 + ch / 2 + 20);
        assert_eq!(p.0, [0, 0, 255], "cell {i} centre");
    }
    assert!(has_text(&svg, "Pred: scissors") && has_text(&svg, "True: rock"));
    assert!(svg.contains("#008000") && svg.contains("#FF0000"));
}

#[test]
fn prediction_grid_takes_scores_and_one_hot_and_u8_images() {
    let images = Tensor::full([3, 28, 28], 200, (Kind::Uint8, Device::Cpu));
    let scores = Tensor::from_slice(&[0.9f32, 0.1, 0.2, 0.8, 0.6, 0.4]).reshape([3, 2]);
    let one_hot = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 0.0, 1.0]).reshape([3, 2]);
    let fig = prediction_grid(&images, &scores, &one_hot, &["cat", "dog"]).unwrap();
    assert_eq!(fig.axes()[2].get_title(), Some("Pred: cat\nTrue: dog"));
    render_both(&fig);
}

/// A 28×28 array with distinct values in 2..=252 (no white), asymmetric in x and y.
fn known_digit() -> Vec<u8> {
    (0..28 * 28)
        .map(|i| {
            let (r, c) = (i / 28, i % 28);
            ((r * 9 + c * 5) % 251 + 2) as u8
        })
        .collect()
}

#[test]
fn imshow_reproduces_a_known_array_pixel_for_pixel() {
    let values = known_digit();
    let t = Tensor::from_slice(&values).reshape([28, 28]);
    let mut fig = Figure::new(300, 300);
    fig.ax(0).imshow(&t).cmap("gray").vmin(0.0).vmax(255.0);
    fig.ax(0).axis_off();
    let (png, svg) = render_both(&fig);
    // Where the image went: the bounding box of the non-white pixels.
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in png.enumerate_pixels() {
        if p.0 != [255, 255, 255] {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    assert_eq!(w, h, "square image keeps its aspect");
    assert!(w >= 28 * 9, "scaled up to fill the axes, got {w}");
    for r in 0..28u32 {
        for c in 0..28u32 {
            let x = x0 + (c * w + w / 2) / 28;
            let y = y0 + (r * h + h / 2) / 28;
            let v = values[(r * 28 + c) as usize];
            assert_eq!(png.get_pixel(x, y).0, [v, v, v], "pixel row {r} col {c}");
        }
    }
    // The SVG embeds the image enlarged by a whole factor, values exact.
    let start = svg.find("data:image/png;base64,").expect("embedded image") + 22;
    let end = start + svg[start..].find('"').unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&svg[start..end])
        .unwrap();
    let embedded = decode_png(&bytes);
    let (ew, eh) = embedded.dimensions();
    assert_eq!(ew, eh);
    assert_eq!(ew % 28, 0, "whole factor, got {ew}");
    let f = ew / 28;
    for r in 0..28u32 {
        for c in 0..28u32 {
            let v = values[(r * 28 + c) as usize];
            for (dx, dy) in [(0, 0), (f - 1, f - 1)] {
                assert_eq!(embedded.get_pixel(c * f + dx, r * f + dy).0, [v; 3]);
            }
        }
    }
}

#[test]
fn imshow_binary_is_inverted_and_rgb_floats_scale() {
    let t = Tensor::from_slice(&[0u8, 255]).reshape([1, 2]);
    let mut fig = Figure::new(200, 104);
    fig.ax(0).imshow(&t).cmap("binary");
    fig.ax(0).axis_off();
    let rgb = fig.to_rgb().unwrap();
    let px = |x: usize, y: usize| &rgb[(y * 200 + x) * 3..(y * 200 + x) * 3 + 3];
    // 0 is white and 255 black in plt.cm.binary: left half white, right half black.
    assert_eq!(px(150, 52), &[0, 0, 0]);
    let rgb_img = Tensor::from_slice(&[1.0f32, 0.0, 0.0]).reshape([1, 1, 3]);
    let mut fig = Figure::new(100, 100);
    fig.ax(0).imshow(&rgb_img);
    fig.ax(0).axis_off();
    let rgb = fig.to_rgb().unwrap();
    assert_eq!(
        &rgb[(50 * 100 + 50) * 3..(50 * 100 + 50) * 3 + 3],
        &[255, 0, 0]
    );
}

#[test]
fn image_grid_with_titles() {
    let images = Tensor::rand([10, 28, 28], (Kind::Float, Device::Cpu));
    let titles: Vec<String> = "ABCDEFGHIK".chars().map(String::from).collect();
    let fig = image_grid(&images, &titles, 10).unwrap();
    assert_eq!(fig.grid(), (1, 10));
    let (_, svg) = render_both(&fig);
    assert!(has_text(&svg, "K"));
    assert_eq!(svg.matches("<image ").count(), 10);

    // Black digits on white, as plt.cm.binary draws MNIST.
    let ones = Tensor::ones([2, 8, 8], (Kind::Float, Device::Cpu));
    let _ = ones.narrow(1, 0, 4).fill_(0.0);
    let fig = image_grid(&ones, &[] as &[&str], 2).unwrap().cmap("binary");
    let png = decode_png(&fig.to_png().unwrap());
    let dark = png.pixels().filter(|p| p.0 == [0, 0, 0]).count();
    let (w, h) = png.dimensions();
    assert!(
        dark > (w * h / 8) as usize,
        "binary: value 1 is black ({dark} px)"
    );
}

#[test]
fn feature_maps_activation_panel_and_filters_render() {
    let act = Tensor::rand([1, 26, 26, 32], (Kind::Float, Device::Cpu));
    let (png, svg) = render_both(&plot_feature_maps(&act, 8).unwrap());
    assert!(has_text(&svg, "filter 7"));
    // viridis: purple and yellow-green pixels, no gray.
    assert!(png
        .pixels()
        .any(|p| p.0[2] > p.0[1] && p.0[0] > 40 && p.0[1] < 40));

    let layers = vec![
        ("conv2d".to_string(), act.shallow_clone()),
        (
            "max_pooling2d".to_string(),
            Tensor::rand([1, 13, 13, 32], (Kind::Float, Device::Cpu)),
        ),
        (
            "dense".to_string(),
            Tensor::rand([1, 10], (Kind::Float, Device::Cpu)),
        ),
    ];
    let fig = activation_panel(&layers, 10).unwrap();
    assert_eq!(fig.grid(), (10, 2));
    let (_, svg) = render_both(&fig);
    assert!(has_text(&svg, "conv2d") && has_text(&svg, "max_pooling2d"));
    assert!(!has_text(&svg, "dense"));

    let kernel = Tensor::randn([3, 3, 3, 16], (Kind::Float, Device::Cpu));
    render_both(&plot_filters(&kernel).unwrap());
    let kernel = Tensor::randn([3, 3, 8, 4], (Kind::Float, Device::Cpu));
    let (_, svg) = render_both(&plot_filters(&kernel).unwrap());
    assert!(has_text(&svg, "in 7"));
}

#[test]
fn compare_curves_confusion_matrix_and_scatter_render() {
    let mut runs = BTreeMap::new();
    for (i, f) in ["relu", "sigmoid", "tanh", "leaky_relu"].iter().enumerate() {
        runs.insert(
            *f,
            (0..50)
                .map(|e| 0.7 / (1.0 + e as f64 * 0.05 * (i + 1) as f64))
                .collect::<Vec<_>>(),
        );
    }
    let (png, svg) = render_both(&compare_curves(
        &runs,
        "Testing various activation functions",
    ));
    assert!(has_text(&svg, "Testing various activation functions") && has_text(&svg, "leaky_relu"));
    for c in [
        [0x1f, 0x77, 0xb4],
        [0xff, 0x7f, 0x0e],
        [0x2c, 0xa0, 0x2c],
        [0xd6, 0x27, 0x28],
    ] {
        assert!(
            png.pixels().filter(|p| p.0 == c).count() > 50,
            "colour {c:?}"
        );
    }

    let y_true = Tensor::from_slice(&[0i64, 0, 1, 2, 2, 2, 2]);
    let y_pred = Tensor::from_slice(&[0i64, 1, 1, 2, 2, 2, 0]);
    let (png, svg) =
        render_both(&plot_confusion_matrix(&y_true, &y_pred, &["cat", "dog", "bird"]).unwrap());
    for t in ["cat", "bird", "3", "Predicted label", "True label"] {
        assert!(has_text(&svg, t), "confusion SVG lacks {t}");
    }
    // The darkest Blues cell (3 birds right) is there.
    assert!(png.pixels().any(|p| p.0 == [8, 48, 107]));
    assert!(plot_confusion_matrix(&y_true, &y_pred, &["cat", "dog"]).is_err());

    let pts = Tensor::randn([60, 2], (Kind::Float, Device::Cpu));
    let labels = Tensor::arange(60, (Kind::Int64, Device::Cpu)).remainder(3);
    let (png, svg) = render_both(&scatter_by_class(&pts, &labels, &["a", "b", "c"]).unwrap());
    assert!(has_text(&svg, "c"));
    assert!(png.pixels().any(|p| p.0 == [0x2c, 0xa0, 0x2c]));
}

#[test]
fn figure_api_bars_text_and_errors() {
    let mut fig = Figure::new(600, 400).subplots(1, 2);
    fig.ax(0).bar(&["a", "b"], [2.0, 3.0]).color("purple");
    fig.ax(0).ylabel("count").title("bars");
    fig.ax(1).scatter([1.0, 2.0], [3.0, 4.0]).label("pts");
    fig.ax(1).text(1.5, 3.5, "note").color("red");
    fig.ax(1).legend().xlim(0.0, 3.0).ylim(0.0, 5.0);
    let (png, svg) = render_both(&fig);
    assert!(png.pixels().any(|p| p.0 == [128, 0, 128]));
    for t in ["a", "b", "count", "note", "pts"] {
        assert!(has_text(&svg, t), "SVG lacks {t}");
    }

    let mut bad = Figure::new(100, 100);
    bad.ax(0).plot([1.0, 2.0]).color("greenish");
    match bad.to_png() {
        Err(ferrokeras::Error::UnknownId { kind, got, .. }) => {
            assert_eq!((kind, got.as_str()), ("color", "greenish"))
        }
        other => panic!("expected UnknownId, got {other:?}"),
    }
    assert!(bad
        .mime_bundle()
        .get("text/plain")
        .unwrap()
        .starts_with("Error:"));

    assert!(Figure::new(100_000, 100_000).to_png().is_err());

    let mut out_of_range = Figure::new(100, 100).subplots(1, 2);
    out_of_range.ax(2).plot([1.0]);
    let e = out_of_range.to_svg().unwrap_err().to_string();
    assert!(e.contains("subplot index 2"), "{e}");
}

#[test]
fn mime_bundle_is_png_by_default_and_svg_on_request() {
    let fig = plot_history(&history(3));
    let b = fig.mime_bundle();
    assert_eq!(
        b.get("text/plain"),
        Some("<Figure size 1000x400 with 2 Axes>")
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(b.get("image/png").unwrap())
        .unwrap();
    assert_eq!(decode_png(&png).dimensions(), (1000, 400));
    assert!(b.get("image/svg+xml").is_none());
    let b = fig.svg().mime_bundle();
    assert!(b.get("image/svg+xml").unwrap().starts_with("<svg"));
    assert!(b.get("image/png").is_none());
}

#[test]
fn save_writes_png_and_svg_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let fig = plot_history(&history(4));
    fig.save(dir.path().join("h.png")).unwrap();
    fig.save(dir.path().join("h.svg")).unwrap();
    let png = std::fs::read(dir.path().join("h.png")).unwrap();
    assert_eq!(decode_png(&png).dimensions(), (1000, 400));
    let svg = std::fs::read_to_string(dir.path().join("h.svg")).unwrap();
    assert!(has_text(&svg, "accuracy"));
    assert!(matches!(
        fig.save(dir.path().join("h.jpg")),
        Err(ferrokeras::Error::UnknownId { .. })
    ));
    // Only the two figures: no temporary files left behind.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["h.png", "h.svg"]);
}
