//! Data loading and augmentation throughput: `cargo bench -p ferrokeras --bench data`.
//!
//! Prints load times for the real MNIST t10k IDX files (from `shared/datasets`, or
//! `FERROKERAS_SHARED_DATASETS`), a generated 10,000-record CIFAR-10 binary file, 1,000
//! generated JPEGs read from a folder and resized to 160×160 (with and without prefetch),
//! and images per second of `ImageDataGenerator` augmentation on the CPU.

use ferrokeras::prelude::*;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        out = Some(v);
    }
    (best, out.expect("at least one run"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    tch::set_num_threads(std::thread::available_parallelism().map_or(1, |n| n.get()) as i32);
    println!(
        "ferrokeras data benchmarks (best of several runs; {} CPU threads)",
        tch::get_num_threads()
    );
    std::env::set_var("FERROKERAS_OFFLINE", "1");
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);

    // 1. MNIST t10k IDX gzip (real files)
    let shared = std::env::var_os("FERROKERAS_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        });
    match mnist::load_split_from(shared.join("mnist"), Split::Test) {
        Ok(_) => {
            let (d, (x, _)) = time(5, || {
                mnist::load_split_from(shared.join("mnist"), Split::Test).unwrap()
            });
            println!(
                "mnist t10k IDX gzip      {:>8.1} ms  ({} images, {:.0} images/s)",
                ms(d),
                x.size()[0],
                x.size()[0] as f64 / d.as_secs_f64()
            );
        }
        Err(e) => println!("mnist t10k IDX gzip      skipped: {e}"),
    }

    // 2. CIFAR-10 binary, 10,000 generated records
    let dir = tempfile::tempdir().expect("tempdir");
    let cifar = dir.path().join("data_batch_1.bin");
    let mut bytes = vec![0u8; 10_000 * cifar10::RECORD_BYTES];
    rng.fill(&mut bytes[..]);
    for r in bytes.chunks_mut(cifar10::RECORD_BYTES) {
        r[0] %= 10;
    }
    std::fs::write(&cifar, &bytes).expect("write cifar");
    let (d, (x, _)) = time(5, || {
        cifar10::read_records(std::slice::from_ref(&cifar), None).unwrap()
    });
    println!(
        "cifar10 binary 10k       {:>8.1} ms  ({:?} {:?}, {:.0} images/s)",
        ms(d),
        x.size(),
        x.kind(),
        1e4 / d.as_secs_f64()
    );

    // 2b. a Sign-Language-MNIST-shaped CSV: header + 5,000 rows × 785 integer columns
    let csv_path = dir.path().join("sign_mnist_train.csv");
    let mut text = String::from("label");
    for i in 1..=784 {
        text.push_str(&format!(",pixel{i}"));
    }
    text.push('\n');
    for r in 0..5000u32 {
        text.push_str(&(r % 24).to_string());
        for _ in 0..784 {
            text.push_str(&format!(",{}", rng.random_range(0..256u32)));
        }
        text.push('\n');
    }
    std::fs::write(&csv_path, &text).expect("write csv");
    let (d, ((x, _), _)) = time(3, || {
        load_sign_language_mnist(&csv_path, &csv_path).unwrap()
    });
    println!(
        "sign-language CSV 5000×785 {:>6.1} ms  ({:.1} MB, {:?}, {:.0} rows/s, both splits)",
        ms(d),
        text.len() as f64 / 1e6,
        x.size(),
        1e4 / d.as_secs_f64()
    );

    // 3. 1,000 JPEGs (320×240) in two class folders, resized to 160×160
    let imgs = dir.path().join("images");
    for c in 0..2 {
        let cdir = imgs.join(format!("class_{c}"));
        std::fs::create_dir_all(&cdir).expect("mkdir");
        for i in 0..500 {
            let img = image::RgbImage::from_fn(320, 240, |x, y| {
                image::Rgb([(x + i) as u8, (y * 2 + c * 90) as u8, ((x ^ y) + i) as u8])
            });
            img.save(cdir.join(format!("{i:04}.jpg")))
                .expect("save jpeg");
        }
    }
    let opts = ImageDatasetOptions {
        image_size: (160, 160),
        batch_size: Some(32),
        seed: Some(1),
        ..Default::default()
    };
    let ds = image_dataset_from_directory(&imgs, opts).expect("dataset");
    let count = |ds: &Dataset| ds.iter().map(|b| b.unwrap().x().size()[0]).sum::<i64>();
    let (d, n) = time(2, || count(&ds));
    println!(
        "1000 JPEGs → 160×160     {:>8.1} ms  ({n} images, {:.0} images/s)",
        ms(d),
        n as f64 / d.as_secs_f64()
    );
    let pre = ds.prefetch(2);
    let (d, n) = time(2, || count(&pre));
    println!(
        "  same with prefetch(2)  {:>8.1} ms  ({n} images, {:.0} images/s)",
        ms(d),
        n as f64 / d.as_secs_f64()
    );
    // Images are decoded and resized on worker threads; this checks that the main thread's
    // libtorch (OpenMP) thread count does not matter.
    let threads = tch::get_num_threads();
    tch::set_num_threads(1);
    let (d, n) = time(2, || count(&ds));
    println!(
        "  1 libtorch thread      {:>8.1} ms  ({n} images, {:.0} images/s)",
        ms(d),
        n as f64 / d.as_secs_f64()
    );
    tch::set_num_threads(threads);
    let path = imgs.join("class_0").join("0000.jpg");
    let (d, _) = time(20, || load_img(&path, Some((160, 160))).unwrap());
    println!("load_img 320×240 JPEG    {:>8.2} ms", ms(d));

    // 4. augmentation on the CPU
    let datagen = ImageDataGenerator {
        rotation_range: 40.0,
        width_shift_range: 0.2,
        height_shift_range: 0.2,
        shear_range: 0.2,
        zoom_range: 0.2,
        horizontal_flip: true,
        ..Default::default()
    };
    for (b, s) in [(64, 32), (32, 160)] {
        let x = Tensor::rand([b, s, s, 3], (Kind::Float, Device::Cpu));
        let mut seed = 0;
        let (d, _) = time(10, || {
            seed += 1;
            datagen.random_transform_batch(&x, seed).unwrap()
        });
        println!(
            "augment {b}×{s}×{s}×3 CPU    {:>8.2} ms/batch ({:.0} images/s)",
            ms(d),
            b as f64 / d.as_secs_f64()
        );
    }
    let flip = RandomFlip::new("horizontal").seed(0);
    let rot = RandomRotation::new(0.1).seed(0);
    let x = Tensor::rand([32, 160, 160, 3], (Kind::Float, Device::Cpu));
    let (d, _) = time(10, || {
        rot.forward(&flip.forward(&x, true).unwrap(), true).unwrap()
    });
    println!(
        "RandomFlip+RandomRotation 32×160×160×3 {:>6.2} ms/batch ({:.0} images/s)",
        ms(d),
        32.0 / d.as_secs_f64()
    );
}
