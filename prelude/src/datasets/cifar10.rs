//! Keras's `keras.datasets.cifar10`: 60,000 colour images 32×32 in 10 classes.
//!
//! Read from the binary version's files (`data_batch_1.bin` … `data_batch_5.bin`,
//! `test_batch.bin`; each record is 1 label byte and 3,072 pixel bytes, R then G then B
//! planes of 32×32) in `$FERROKERAS_DATA_DIR/cifar10/cifar-10-batches-bin/` (or a directory
//! you pass); when missing, `cifar-10-binary.tar.gz` is downloaded and unpacked there.
//!
//! Shapes and dtypes as Keras: images `(N, 32, 32, 3)` `Kind::Uint8`, labels `(N, 1)`
//! (`Kind::Int64`; Keras gives `uint8`).

use super::TrainTest;
use crate::error::{Error, Result};
use crate::utils::data_dir::{data_dir, missing_hint, offline};
use crate::utils::get_file::{download, extract_tar_gz};
use crate::utils::sample_limit;
use std::io::Read;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// The ten classes, by label.
pub const CLASS_NAMES: [&str; 10] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
];

const URL: &str = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/// The archive's MD5 as the dataset's page publishes it (a download that differs is refused).
const MD5: &str = "c32a1d4ab5d03f1284b67883e8d87530";
const INNER: &str = "cifar-10-batches-bin";
/// Bytes per record: one label and 32×32×3 pixels.
pub const RECORD_BYTES: usize = 1 + 32 * 32 * 3;
const TRAIN_FILES: [&str; 5] = [
    "data_batch_1.bin",
    "data_batch_2.bin",
    "data_batch_3.bin",
    "data_batch_4.bin",
    "data_batch_5.bin",
];

/// `((x_train, y_train), (x_test, y_test))`: 50,000 training and 10,000 test images.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let ((train_images, train_labels), (test_images, test_labels)) = cifar10::load_data()?;
/// assert_eq!(train_images.size(), vec![50000, 32, 32, 3]);
/// assert_eq!(train_labels.size(), vec![50000, 1]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_data() -> Result<TrainTest> {
    load(None)
}

/// [`load_data`] from the `.bin` files in `dir` (or in `dir/cifar-10-batches-bin/`).
pub fn load_data_from(dir: impl AsRef<Path>) -> Result<TrainTest> {
    load(Some(dir.as_ref()))
}

fn load(dir: Option<&Path>) -> Result<TrainTest> {
    let limit = sample_limit();
    let mut train_paths = Vec::new();
    for f in TRAIN_FILES {
        train_paths.push(locate(dir, f)?);
    }
    let test_path = locate(dir, "test_batch.bin")?;
    let train = read_records(&train_paths, limit)?;
    let test = read_records(&[test_path], limit)?;
    Ok((train, test))
}

fn bases(dir: Option<&Path>) -> Vec<PathBuf> {
    match dir {
        Some(d) => vec![d.to_path_buf(), d.join(INNER)],
        None => {
            let root = data_dir();
            vec![
                root.join("cifar10").join(INNER),
                root.join("cifar10"),
                root.join(INNER),
            ]
        }
    }
}

fn locate(dir: Option<&Path>, file: &str) -> Result<PathBuf> {
    let find = || {
        bases(dir)
            .into_iter()
            .map(|b| b.join(file))
            .find(|p| p.is_file())
    };
    if let Some(p) = find() {
        return Ok(p);
    }
    let missing = Error::MissingFile {
        name: format!("CIFAR-10 {file}"),
        path: bases(dir)[0].join(file),
        hint: Some(missing_hint(Some(URL))),
    };
    if dir.is_some() || offline() {
        return Err(missing);
    }
    let target = data_dir().join("cifar10");
    let archive = target.join("cifar-10-binary.tar.gz");
    if !archive.is_file() {
        download(URL, &archive, Some(MD5))?;
    }
    extract_tar_gz(&archive, |name| {
        let base = name.rsplit('/').next().unwrap_or(name);
        base.ends_with(".bin")
            .then(|| target.join(INNER).join(base))
    })?;
    find().ok_or(missing)
}

/// Reads CIFAR binary records from `paths` in order, at most `limit` of them:
/// `(images (N, 32, 32, 3) Uint8, labels (N, 1) Int64)`.
pub fn read_records(paths: &[PathBuf], limit: Option<usize>) -> Result<(Tensor, Tensor)> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for path in paths {
        if limit.is_some_and(|l| labels.len() >= l) {
            break;
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io(path, e))?;
        if bytes.is_empty() || bytes.len() % RECORD_BYTES != 0 {
            return Err(Error::CorruptFile {
                path: path.clone(),
                expected: format!(
                    "expected whole CIFAR-10 records of {RECORD_BYTES} bytes (1 label + 32×32×3 \
                     pixels), file has {} bytes ({} records and {} bytes over)",
                    bytes.len(),
                    bytes.len() / RECORD_BYTES,
                    bytes.len() % RECORD_BYTES
                ),
            });
        }
        for (i, rec) in bytes.chunks_exact(RECORD_BYTES).enumerate() {
            if limit.is_some_and(|l| labels.len() >= l) {
                break;
            }
            if rec[0] > 9 {
                return Err(Error::CorruptFile {
                    path: path.clone(),
                    expected: format!("expected labels 0–9, found {} in record {i}", rec[0]),
                });
            }
            labels.push(rec[0] as i64);
            pixels.extend_from_slice(&rec[1..]);
        }
    }
    let n = labels.len() as i64;
    let x = Tensor::from_slice(&pixels)
        .reshape([n, 3, 32, 32])
        .permute([0, 2, 3, 1])
        .contiguous();
    let y = Tensor::from_slice(&labels)
        .reshape([n, 1])
        .to_kind(Kind::Int64);
    Ok((x, y))
}
