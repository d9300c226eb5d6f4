//! Real data: the first MNIST test digits in an `image_grid`, as the course notebooks show
//! them; the embedded images carry the digits' exact pixel values.

mod common;

use base64::Engine;
use common::datasets_dir;
use ferrokeras::plot::image_grid;
use ferrokeras::tch::Tensor;
use std::io::Read;
use std::path::PathBuf;

/// The first `n` bytes after an IDX file's `header` bytes, from its gzip.
fn read_idx(path: &PathBuf, header: usize, n: usize) -> Vec<u8> {
    let file = std::fs::File::open(path).unwrap();
    let mut gz = flate2::read::GzDecoder::new(file);
    let mut buf = vec![0u8; header + n];
    gz.read_exact(&mut buf).unwrap();
    buf.split_off(header)
}

#[test]
fn mnist_digits_in_an_image_grid() {
    let dir = datasets_dir().join("mnist");
    let images = dir.join("t10k-images-idx3-ubyte.gz");
    let labels = dir.join("t10k-labels-idx1-ubyte.gz");
    if !images.exists() || !labels.exists() {
        eprintln!("skipped: MNIST test files not found in {}", dir.display());
        return;
    }
    let pixels = read_idx(&images, 16, 10 * 28 * 28);
    let digits = read_idx(&labels, 8, 10);
    assert_eq!(digits, vec![7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let t = Tensor::from_slice(&pixels).reshape([10, 28, 28]);
    let titles: Vec<String> = digits.iter().map(|d| d.to_string()).collect();
    let fig = image_grid(&t, &titles, 10).unwrap();
    let svg = fig.to_svg().unwrap();
    assert_eq!(svg.matches("<image ").count(), 10);
    for d in ["7", "2", "1", "0", "4", "9", "5"] {
        assert!(svg.contains(&format!(">\n{d}\n</text>")), "title {d}");
    }
    // Each embedded image is its digit in gray, scaled to its own min…max as matplotlib
    // does (black … white), enlarged by a whole factor.
    let mut rest = svg.as_str();
    for k in 0..10 {
        let start = rest.find("data:image/png;base64,").unwrap() + 22;
        let end = start + rest[start..].find('"').unwrap();
        let png = base64::engine::general_purpose::STANDARD
            .decode(&rest[start..end])
            .unwrap();
        rest = &rest[end..];
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        let digit = &pixels[k * 784..(k + 1) * 784];
        let (lo, hi) = (*digit.iter().min().unwrap(), *digit.iter().max().unwrap());
        let f = img.width() / 28;
        assert_eq!((img.width(), img.height()), (28 * f, 28 * f));
        for r in 0..28u32 {
            for c in 0..28u32 {
                let v = digit[(r * 28 + c) as usize];
                let want = ((v - lo) as f32 / (hi - lo) as f32 * 255.0).round() as u8;
                let got = img.get_pixel(c * f, r * f).0;
                assert_eq!(got, [want; 3], "digit {k} ({r}, {c}): value {v}");
            }
        }
    }
    let png = image::load_from_memory(&fig.to_png().unwrap()).unwrap();
    assert_eq!((png.width(), png.height()), fig.size());
}
