//! Writes generated stand-ins, in the real formats and at the real datasets' sizes, for the
//! course data this project cannot ship or download in a sandbox: CIFAR-10 (binary batches),
//! rock_paper_scissors (300×300 PNG), beans (500×500 JPEG), cats_vs_dogs (JPEGs of varied
//! sizes), Sign Language MNIST (CSV) and the two style-transfer pictures.
//!
//! Why: a notebook's full-mode run time depends on how much data it trains on and how big the
//! pictures are, not on what they show, so these files let every course notebook run in full
//! mode and be timed (`docs/performance.md`). Accuracies on them mean nothing. Each class has
//! its own colour and stripe direction plus noise, so a model does learn something.
//!
//! ```sh
//! cargo run --release -p ferrokeras --example stand_in_data -- DIR [--only NAME]...
//! ```
//! Each dataset lands in `DIR/<name>/` (the layout the loaders read with
//! `FERROKERAS_DATA_DIR=DIR`); one that already exists is left alone. A dataset is written
//! into a temporary folder beside it and renamed into place, so an interrupted run leaves no
//! half-written dataset behind.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};
use std::error::Error;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

type Res<T> = Result<T, Box<dyn Error>>;

/// Sizes of the real datasets (TFDS catalogue, the CIFAR-10 and Kaggle pages).
const CIFAR_PER_BATCH: usize = 10_000;
const RPS: (&[&str], &[(&str, usize)]) = (
    &["rock", "paper", "scissors"],
    &[("train", 2520), ("test", 372)],
);
const BEANS: (&[&str], &[(&str, usize)]) = (
    &["angular_leaf_spot", "bean_rust", "healthy"],
    &[("train", 1034), ("validation", 133), ("test", 128)],
);
const CATS_VS_DOGS: (&[&str], &[(&str, usize)]) = (&["cat", "dog"], &[("train", 23_262)]);
const SIGN_TRAIN: usize = 27_455;
const SIGN_TEST: usize = 7_172;

/// A small, fast generator: the noise needs speed, not quality.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An RGB picture of class `class`: the class's colour, stripes across or down, and noise.
fn picture(noise: &mut Noise, class: usize, width: u32, height: u32) -> Vec<u8> {
    const COLOURS: [[i32; 3]; 4] = [[200, 70, 60], [70, 190, 80], [60, 80, 200], [190, 180, 60]];
    let base = COLOURS[class % COLOURS.len()];
    let stripe = 6 + 3 * (class as u32 % 3);
    let across = class % 2 == 1;
    let mut px = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            let along = if across { x } else { y };
            let dark = [0, 50][(along / stripe % 2) as usize];
            for c in base {
                let v = c - dark + noise.below(41) as i32 - 20;
                px.push(v.clamp(0, 255) as u8);
            }
        }
    }
    px
}

fn write_image(path: &Path, px: &[u8], width: u32, height: u32) -> Res<()> {
    let out = BufWriter::new(File::create(path)?);
    if path.extension().is_some_and(|e| e == "png") {
        PngEncoder::new_with_quality(out, CompressionType::Fast, FilterType::Sub).write_image(
            px,
            width,
            height,
            ExtendedColorType::Rgb8,
        )?;
    } else {
        JpegEncoder::new_with_quality(out, 85).write_image(
            px,
            width,
            height,
            ExtendedColorType::Rgb8,
        )?;
    }
    Ok(())
}

/// Writes `build`'s output into `root/name` via a temporary folder, unless it exists.
fn dataset(root: &Path, name: &str, build: impl FnOnce(&Path) -> Res<()>) -> Res<()> {
    let dest = root.join(name);
    if dest.exists() {
        println!("{name}: {} exists, left alone", dest.display());
        return Ok(());
    }
    let started = std::time::Instant::now();
    let tmp = root.join(format!(".{name}.partial"));
    if tmp.exists() {
        fs::remove_dir_all(&tmp)?;
    }
    fs::create_dir_all(&tmp)?;
    build(&tmp)?;
    fs::rename(&tmp, &dest)?;
    println!(
        "{name}: written to {} in {:.1} s",
        dest.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Folder-per-class images in TFDS's splits; `size(i)` gives the i-th picture's width and height.
fn image_folders(
    dir: &Path,
    (classes, splits): (&[&str], &[(&str, usize)]),
    ext: &str,
    size: impl Fn(usize) -> (u32, u32),
    noise: &mut Noise,
) -> Res<()> {
    let mut i = 0;
    for (split, n) in splits {
        for k in 0..*n {
            let class = k % classes.len();
            let folder = dir.join(split).join(classes[class]);
            fs::create_dir_all(&folder)?;
            let (w, h) = size(i);
            let px = picture(noise, class, w, h);
            write_image(
                &folder.join(format!("{}.{k}.{ext}", classes[class])),
                &px,
                w,
                h,
            )?;
            i += 1;
        }
    }
    Ok(())
}

fn cifar10(dir: &Path, noise: &mut Noise) -> Res<()> {
    let bins = dir.join("cifar-10-batches-bin");
    fs::create_dir_all(&bins)?;
    let names = (1..=5)
        .map(|i| format!("data_batch_{i}.bin"))
        .chain(["test_batch.bin".to_string()]);
    for name in names {
        let mut out = BufWriter::new(File::create(bins.join(name))?);
        for _ in 0..CIFAR_PER_BATCH {
            let label = noise.below(10) as usize;
            let px = picture(noise, label, 32, 32);
            out.write_all(&[label as u8])?;
            // The binary format stores planes: all red, then green, then blue.
            for c in 0..3 {
                let plane: Vec<u8> = px.iter().skip(c).step_by(3).copied().collect();
                out.write_all(&plane)?;
            }
        }
        out.flush()?;
    }
    let meta = ferrokeras::datasets::cifar10::CLASS_NAMES.join("\n") + "\n";
    fs::write(bins.join("batches.meta.txt"), meta)?;
    Ok(())
}

fn sign_csv(path: &Path, rows: usize, noise: &mut Noise) -> Res<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let header: Vec<String> = (1..=784).map(|i| format!("pixel{i}")).collect();
    writeln!(out, "label,{}", header.join(","))?;
    let labels: Vec<u64> = (0..25).filter(|l| *l != 9).collect();
    for r in 0..rows {
        let label = labels[r % labels.len()];
        let pixels: Vec<String> = (0..784u64)
            .map(|x| (40 + 8 * label + (x * (label + 3)) % 90 + noise.below(41)).min(255))
            .map(|v| v.to_string())
            .collect();
        writeln!(out, "{label},{}", pixels.join(","))?;
    }
    out.flush()?;
    Ok(())
}

fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .ok_or("usage: stand_in_data DIR [--only NAME]...")?,
    );
    let mut only = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--only" => only.push(args.next().ok_or("--only needs a dataset name")?),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    fs::create_dir_all(&root)?;
    let noise = &mut Noise(0x9E37_79B9_7F4A_7C15);
    if wanted("cifar10") {
        dataset(&root, "cifar10", |d| cifar10(d, noise))?;
    }
    if wanted("rock_paper_scissors") {
        dataset(&root, "rock_paper_scissors", |d| {
            image_folders(d, RPS, "png", |_| (300, 300), noise)
        })?;
    }
    if wanted("beans") {
        dataset(&root, "beans", |d| {
            image_folders(d, BEANS, "jpg", |_| (500, 500), noise)
        })?;
    }
    if wanted("cats_vs_dogs") {
        // The real pictures vary in size, mostly up to 500 on the longer side.
        let sizes = [(500, 375), (375, 500), (320, 240), (500, 333), (400, 400)];
        dataset(&root, "cats_vs_dogs", |d| {
            image_folders(d, CATS_VS_DOGS, "jpg", |i| sizes[i % sizes.len()], noise)
        })?;
    }
    if wanted("sign_language_mnist") {
        dataset(&root, "sign_language_mnist", |d| {
            sign_csv(&d.join("sign_mnist_train.csv"), SIGN_TRAIN, noise)?;
            sign_csv(&d.join("sign_mnist_test.csv"), SIGN_TEST, noise)
        })?;
    }
    if wanted("style_transfer") {
        dataset(&root, "style_transfer", |d| {
            for (name, class, (w, h)) in
                [("apple.jpg", 0, (640, 480)), ("vangogh.jpg", 2, (600, 475))]
            {
                write_image(&d.join(name), &picture(noise, class, w, h), w, h)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
