//! Loaders on small files written in each real format, their exact errors, quick mode, and
//! the real files in `shared/datasets` when present.

use ferrokeras::prelude::*;
use ferrokeras::runtime::{set_settings, settings, Settings};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Offline and without quick mode, for the calling test's thread (settings are per thread
/// outside the kernel).
fn offline_settings() {
    set_settings(Settings {
        offline: true,
        sample_limit: None,
        ..settings()
    });
}

fn shared() -> Option<PathBuf> {
    let p = std::env::var_os("FERROKERAS_SHARED_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        });
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipping: shared datasets not found at {}", p.display());
        None
    }
}

fn gz(path: &Path, bytes: &[u8]) {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    std::fs::write(path, e.finish().unwrap()).unwrap();
}

fn idx_images(n: u32, pix: impl Fn(u32) -> u8) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 3];
    for d in [n, 28, 28] {
        b.extend(d.to_be_bytes());
    }
    b.extend((0..n * 784).map(pix));
    b
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 8, 1];
    b.extend((labels.len() as u32).to_be_bytes());
    b.extend(labels);
    b
}

fn write_mnist(dir: &Path, prefix: &str, n: u32) {
    gz(
        &dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
        &idx_images(n, |i| (i % 251) as u8),
    );
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    gz(
        &dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
        &idx_labels(&labels),
    );
}

#[test]
fn mnist_idx_gzip_shapes_dtypes_values() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    write_mnist(d.path(), "train", 6);
    write_mnist(d.path(), "t10k", 4);
    let ((xt, yt), (xs, ys)) = mnist::load_data_from(d.path()).unwrap();
    assert_eq!(xt.size(), vec![6, 28, 28]);
    assert_eq!(xt.kind(), Kind::Uint8);
    assert_eq!(yt.kind(), Kind::Int64);
    assert_eq!(xs.size(), vec![4, 28, 28]);
    assert_eq!(xt.int64_value(&[1, 0, 3]), ((784 + 3) % 251) as i64);
    assert_eq!(Vec::<i64>::try_from(&ys).unwrap(), vec![0, 1, 2, 3]);
    // Fashion-MNIST reads the same format.
    let (x, _) = fashion_mnist::load_split_from(d.path(), Split::Test).unwrap();
    assert_eq!(x.size(), vec![4, 28, 28]);
}

#[test]
fn mnist_from_keras_npz_when_idx_is_absent() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    let img = |n: i64, v: i64| Tensor::full([n, 28, 28], v, (Kind::Uint8, Device::Cpu));
    let lbl = |n: i64| {
        Tensor::arange(n, (Kind::Int64, Device::Cpu))
            .remainder(10)
            .to_kind(Kind::Uint8)
    };
    save_npz(
        d.path().join("mnist.npz"),
        &[
            ("x_test", &img(4, 7)),
            ("x_train", &img(6, 9)),
            ("y_train", &lbl(6)),
            ("y_test", &lbl(4)),
        ],
    )
    .unwrap();
    let ((x, y), (xt, yt)) = mnist::load_data_from(d.path()).unwrap();
    assert_eq!(
        (x.size(), x.kind(), y.kind()),
        (vec![6, 28, 28], Kind::Uint8, Kind::Int64)
    );
    assert_eq!(x.int64_value(&[5, 27, 27]), 9);
    assert_eq!(xt.size(), vec![4, 28, 28]);
    assert_eq!(Vec::<i64>::try_from(&yt).unwrap(), vec![0, 1, 2, 3]);
    // IDX files win when both are there
    write_mnist(d.path(), "t10k", 2);
    let (x, _) = mnist::load_split_from(d.path(), Split::Test).unwrap();
    assert_eq!(x.size(), vec![2, 28, 28]);
}

#[test]
fn mnist_errors_name_the_file() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    write_mnist(d.path(), "t10k", 2);
    let err = mnist::load_data_from(d.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "MNIST training images: file not found (looked for {}); download it from \
             https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz and put \
             it there (or Keras's mnist.npz from \
             https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz), or set FERROKERAS_DATA_DIR to a directory that holds it, or pass the file's \
             directory to the loader's `_from` variant (downloads are off because FERROKERAS_OFFLINE=1)",
            d.path().join("train-images-idx3-ubyte.gz").display()
        )
    );
    // Labels file where images belong.
    let imgs = d.path().join("t10k-images-idx3-ubyte.gz");
    gz(&imgs, &idx_labels(&[1, 2]));
    let err = mnist::load_split_from(d.path(), Split::Test)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: expected IDX magic 2051 (images), found 2049",
            imgs.display()
        )
    );
    // Truncated images.
    let mut b = idx_images(10000, |_| 0);
    b.truncate(16 + 1000);
    gz(&imgs, &b);
    let err = mnist::load_split_from(d.path(), Split::Test)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: truncated: header says 10000 images of 28×28 = 7840000 bytes, file has 1000",
            imgs.display()
        )
    );
}

#[test]
fn cache_dir_from_env_and_quick_mode() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("mnist");
    std::fs::create_dir(&sub).unwrap();
    write_mnist(&sub, "t10k", 7);
    set_settings(Settings {
        data_dir: Some(PathBuf::from(d.path())),
        ..settings()
    });
    let (x, y) = mnist::load_split(Split::Test).unwrap();
    assert_eq!(x.size(), vec![7, 28, 28]);
    set_settings(Settings {
        sample_limit: Some(3),
        ..settings()
    });
    let (x, y3) = mnist::load_split(Split::Test).unwrap();
    assert_eq!(x.size(), vec![3, 28, 28]);
    assert!(y3.equal(&y.narrow(0, 0, 3)));
    set_settings(Settings {
        sample_limit: None,
        data_dir: None,
        ..settings()
    });
}

fn cifar_record(label: u8, seed: u8) -> Vec<u8> {
    let mut r = vec![label];
    for plane in 0..3u8 {
        r.extend((0..1024u32).map(|i| (i as u8).wrapping_add(plane * 50).wrapping_add(seed)));
    }
    r
}

#[test]
fn cifar10_binary_records() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    let inner = d.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&inner).unwrap();
    for (k, f) in [
        "data_batch_1",
        "data_batch_2",
        "data_batch_3",
        "data_batch_4",
        "data_batch_5",
        "test_batch",
    ]
    .iter()
    .enumerate()
    {
        let mut b = cifar_record(k as u8, 0);
        b.extend(cifar_record(9, 1));
        std::fs::write(inner.join(format!("{f}.bin")), b).unwrap();
    }
    let ((x, y), (xt, yt)) = cifar10::load_data_from(d.path()).unwrap();
    assert_eq!(x.size(), vec![10, 32, 32, 3]);
    assert_eq!(x.kind(), Kind::Uint8);
    assert_eq!(y.size(), vec![10, 1]);
    assert_eq!(
        Vec::<i64>::try_from(y.reshape([-1])).unwrap(),
        vec![0, 9, 1, 9, 2, 9, 3, 9, 4, 9]
    );
    assert_eq!(xt.size(), vec![2, 32, 32, 3]);
    assert_eq!(yt.int64_value(&[0, 0]), 5);
    set_settings(Settings {
        sample_limit: Some(3),
        ..settings()
    });
    let ((x3, y3), (xt3, _)) = cifar10::load_data_from(d.path()).unwrap();
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    });
    assert_eq!((x3.size()[0], xt3.size()[0]), (3, 2));
    assert_eq!(
        Vec::<i64>::try_from(y3.reshape([-1])).unwrap(),
        vec![0, 9, 1]
    );
    // pixel (row 1, col 2) of plane c is byte 32 + 2 = 34 (+ 50 c)
    assert_eq!(x.int64_value(&[0, 1, 2, 0]), 34);
    assert_eq!(x.int64_value(&[0, 1, 2, 2]), 134);
    assert_eq!(x.int64_value(&[1, 1, 2, 1]), 85);
    let bad = inner.join("test_batch.bin");
    std::fs::write(&bad, vec![0u8; 3073 + 100]).unwrap();
    let err = cifar10::load_data_from(d.path()).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "{}: expected whole CIFAR-10 records of 3073 bytes (1 label + 32×32×3 pixels), file \
             has 3173 bytes (1 records and 100 bytes over)",
            bad.display()
        )
    );
}

#[test]
fn csv_with_and_without_header() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("h.csv");
    std::fs::write(&p, "label,pixel1,pixel2\n3,0,255\n1,10,20\n").unwrap();
    let t = read_csv(&p, CsvOptions::default()).unwrap();
    assert_eq!(t.column_names(), vec!["label", "pixel1", "pixel2"]);
    assert_eq!(t.to_tensor().unwrap().size(), vec![2, 3]);
    let t = read_csv(&p, CsvOptions::names(&["a", "b", "c"])).unwrap();
    assert_eq!(t.len(), 3);
    assert!(!t.col("b").unwrap().is_numeric());
    let bad = d.path().join("bad.csv");
    std::fs::write(&bad, "1,2\n3\n").unwrap();
    let err = read_csv(&bad, CsvOptions::names(&["x", "y"]))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "{}: expected 2 fields in every row, found 1 on line 2",
            bad.display()
        )
    );
    let err = t.col("zz").unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid argument: no column 'zz'; columns are: a, b, c"
    );
}

#[test]
fn statlib_housing_file() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("cal_housing.data"),
        "-122.230000,37.880000,41.000000,880.000000,129.000000,322.000000,126.000000,8.325200,452600.000000\n\
         -122.220000,37.860000,21.000000,7099.000000,1106.000000,2401.000000,1138.000000,8.301400,358500.000000\n",
    )
    .unwrap();
    let raw = load_california_housing_raw_from(d.path()).unwrap();
    assert_eq!(raw.shape(), (2, 9));
    let h = fetch_california_housing_from(d.path()).unwrap();
    assert_eq!(h.data.size(), vec![2, 8]);
    assert_eq!(h.feature_names[2], "AveRooms");
    assert!((h.data.double_value(&[0, 2]) - 880.0 / 126.0).abs() < 1e-4);
    assert!((h.target.double_value(&[0]) - 4.526).abs() < 1e-5);
}

#[test]
fn sign_language_csv() {
    offline_settings();
    let d = tempfile::tempdir().unwrap();
    let mut s = String::from("label");
    for i in 1..=784 {
        s.push_str(&format!(",pixel{i}"));
    }
    s.push('\n');
    for l in [3, 24] {
        s.push_str(&l.to_string());
        for i in 0..784 {
            s.push_str(&format!(",{}", i % 256));
        }
        s.push('\n');
    }
    let p = d.path().join("sign_mnist_train.csv");
    std::fs::write(&p, &s).unwrap();
    let ((x, y), _) = load_sign_language_mnist(&p, &p).unwrap();
    assert_eq!(x.size(), vec![2, 28, 28, 1]);
    assert_eq!(x.kind(), Kind::Uint8);
    assert_eq!(x.int64_value(&[0, 1, 0, 0]), 28);
    assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![3, 24]);
    let err = load_sign_language_mnist(d.path().join("nope.csv"), &p)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("Sign Language MNIST CSV: file not found"),
        "{err}"
    );
}

#[test]
fn real_mnist_t10k() {
    offline_settings();
    let Some(root) = shared() else { return };
    let (x, y) = mnist::load_split_from(root.join("mnist"), Split::Test).unwrap();
    assert_eq!(x.size(), vec![10000, 28, 28]);
    assert_eq!(x.kind(), Kind::Uint8);
    let counts = Vec::<i64>::try_from(y.bincount(None::<Tensor>, 10)).unwrap();
    assert_eq!(
        counts,
        vec![980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    assert_eq!(
        Vec::<i64>::try_from(y.narrow(0, 0, 3)).unwrap(),
        vec![7, 2, 1]
    );
    // train images are absent there: load_data names the missing file
    let err = mnist::load_data_from(root.join("mnist"))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("MNIST training images: file not found"),
        "{err}"
    );
}

#[test]
fn real_tabular_and_text() {
    offline_settings();
    let Some(root) = shared() else { return };
    let iris = load_iris_from(root.join("iris")).unwrap();
    assert_eq!(iris.data.size(), vec![150, 4]);
    assert_eq!(
        Vec::<i64>::try_from(iris.target.bincount(None::<Tensor>, 3)).unwrap(),
        vec![50, 50, 50]
    );
    assert!((iris.data.double_value(&[0, 0]) - 5.1).abs() < 1e-6);

    let cars = load_car_evaluation_from(root.join("car_evaluation")).unwrap();
    assert_eq!(cars.shape(), (1728, 7));
    assert_eq!(
        cars.col("class").unwrap().unique(),
        vec!["unacc", "acc", "vgood", "good"]
    );
    let x = get_dummies(&cars.drop(&["class"]).unwrap()).unwrap();
    assert_eq!(x.shape(), (1728, 21));
    assert_eq!(
        x.column_names()[8..12],
        ["doors_2", "doors_3", "doors_4", "doors_5more"]
    );
    let mut enc = LabelEncoder::new();
    let classes = cars.col("class").unwrap().strings();
    let y = enc.fit_transform(&classes).unwrap();
    assert_eq!(enc.classes_, vec!["acc", "good", "unacc", "vgood"]);
    let counts = Vec::<i64>::try_from(y.bincount(None::<Tensor>, 4)).unwrap();
    assert_eq!(counts, vec![384, 69, 1210, 65]);
    let xt = x.to_tensor().unwrap();
    let (x_train, x_test, _, y_test) = train_test_split(&xt, &y, 0.2, 42).unwrap();
    assert_eq!(
        (x_train.size()[0], x_test.size()[0], y_test.size()[0]),
        (1382, 346, 346)
    );
    assert_eq!(
        to_categorical(&y_test, Some(4)).unwrap().size(),
        vec![346, 4]
    );

    let raw = load_california_housing_raw_from(root.join("california_housing")).unwrap();
    assert_eq!(raw.shape(), (20640, 9));
    let h = fetch_california_housing_from(root.join("california_housing")).unwrap();
    assert_eq!(h.data.size(), vec![20640, 8]);
    let z = StandardScaler::new()
        .fit(&h.data)
        .unwrap()
        .transform(&h.data)
        .unwrap();
    assert!(
        z.mean_dim(0, false, Kind::Float)
            .abs()
            .max()
            .double_value(&[])
            < 1e-3
    );

    let text = load_shakespeare_from(root.join("tiny_shakespeare")).unwrap();
    assert_eq!(text.chars().count(), 1115394);
    let mut set: Vec<char> = text.chars().collect();
    set.sort();
    set.dedup();
    assert_eq!(set.len(), 65);
    // the course's preparation: first 100k characters lowercased, windows of 40 at step 3
    let text: String = text.to_lowercase().chars().take(100_000).collect();
    let vocab = CharVocab::new(&text);
    let (x, y) = sliding_windows(&vocab.encode(&text).unwrap(), 40, 3).unwrap();
    assert_eq!(x.size(), vec![33320, 40]);
    assert_eq!(
        vocab.decode(&Vec::<i64>::try_from(x.get(0)).unwrap()),
        &text[..40]
    );
    assert_eq!(
        vocab.idx_to_char[&y.int64_value(&[0])],
        text.chars().nth(40).unwrap()
    );
    let y1 = to_categorical(&y, Some(vocab.len() as i64)).unwrap();
    assert_eq!(y1.size(), vec![33320, vocab.len() as i64]);
}

#[test]
fn quick_mode_on_tabular_keeps_classes() {
    offline_settings();
    let Some(root) = shared() else { return };
    set_settings(Settings {
        sample_limit: Some(30),
        ..settings()
    });
    let iris = load_iris_from(root.join("iris")).unwrap();
    let cars = load_car_evaluation_from(root.join("car_evaluation")).unwrap();
    let text = load_shakespeare_from(root.join("tiny_shakespeare")).unwrap();
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    });
    assert_eq!(iris.data.size(), vec![30, 4]);
    assert_eq!(
        Vec::<i64>::try_from(iris.target.bincount(None::<Tensor>, 3)).unwrap(),
        vec![10, 10, 10]
    );
    assert_eq!(cars.len(), 30);
    assert_eq!(text.len(), 130);
}
