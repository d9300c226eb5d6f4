//! TFDS-style image datasets (`tfds.load(name, split=…, as_supervised=True)`) read from a
//! local folder-per-class copy: `<dir>/<name>/<split>/<class>/<image files>`.

use super::Dataset;
use crate::error::{Error, Result};
use crate::utils::data_dir::data_dir;
use crate::utils::image_folder::{decoded_dataset, ImageFolder};
use crate::utils::sample_limit;
use rand::{seq::SliceRandom, SeedableRng};
use std::path::Path;
use tch::Tensor;

/// The class names of the course's TFDS datasets, in TFDS's label order.
pub fn tfds_class_names(name: &str) -> Option<&'static [&'static str]> {
    match name {
        "rock_paper_scissors" => Some(&["rock", "paper", "scissors"]),
        "beans" => Some(&["angular_leaf_spot", "bean_rust", "healthy"]),
        "cats_vs_dogs" => Some(&["cat", "dog"]),
        _ => None,
    }
}

/// Loads split `split` of dataset `name` as `(image, label)` elements: the image at its own
/// size, `(H, W, 3)` `Kind::Uint8`, the label a scalar `Kind::Int64` — what TFDS gives with
/// `as_supervised=True`. Map, batch and prefetch it as in the course:
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let train_ds = tfds_load("rock_paper_scissors", "train")?;
/// let train_ds = train_ds
///     .map(|image, label| Ok((resize_images(&image, (100, 100))? / 255.0, label)))
///     .batch(32)
///     .prefetch(1);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
///
/// `split` is `"train"`, `"test"`, `"validation"` or a slice of one such as
/// `"train[:20%]"`, `"train[20%:25%]"`. Files are in a fixed, class-mixed order (as in
/// TFDS), so slices hold every class. Files are looked for in
/// `$FERROKERAS_DATA_DIR/<name>/<split>/`; cats_vs_dogs has only `train`. Corrupt and
/// non-image files are skipped with one warning that counts them.
pub fn tfds_load(name: &str, split: &str) -> Result<Dataset> {
    tfds_load_from(data_dir(), name, split)
}

/// [`tfds_load`] from `dir/<name>/<split>/<class>/…`.
pub fn tfds_load_from(dir: impl AsRef<Path>, name: &str, split: &str) -> Result<Dataset> {
    let (base, start, end) = parse_split(split)?;
    let root = dir.as_ref().join(name).join(&base);
    let classes = tfds_class_names(name);
    if !root.is_dir() {
        let layout = classes
            .map(|c| c.join(", "))
            .unwrap_or_else(|| "one folder per class".into());
        return Err(Error::MissingFile {
            name: format!("{name} {base} split"),
            path: root,
            hint: Some(format!(
                "TFDS datasets are read from a local copy laid out as <dir>/{name}/{base}/<class>/<images> \
                 (classes: {layout}); export it once from tensorflow_datasets \
                 (https://www.tensorflow.org/datasets/catalog/{name}) and set FERROKERAS_DATA_DIR to <dir>, \
                 or pass <dir> to tfds_load_from"
            )),
        });
    }
    let folder = ImageFolder::scan(&root, classes)?;
    folder.warn();
    let mut items: Vec<_> = folder
        .files
        .iter()
        .cloned()
        .zip(folder.labels.iter().copied())
        .collect();
    items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(0));
    let n = items.len();
    let lo = (n as f64 * start / 100.0).round() as usize;
    let hi = (n as f64 * end / 100.0).round() as usize;
    let mut items = items[lo.min(n)..hi.min(n).max(lo.min(n))].to_vec();
    if let Some(k) = sample_limit() {
        items.truncate(k);
    }
    let ds = decoded_dataset(items, None, 3, None, |l| Some(Tensor::from(l)));
    Ok(ds.with_class_names(folder.class_names.clone()))
}

/// `"train[20%:25%]"` → `("train", 20.0, 25.0)`.
fn parse_split(split: &str) -> Result<(String, f64, f64)> {
    let bad = || {
        Error::InvalidArgument(format!(
            "split '{split}' is not understood; use e.g. \"train\", \"test\", \"train[:20%]\" or \"train[20%:25%]\""
        ))
    };
    let Some(open) = split.find('[') else {
        return Ok((split.to_string(), 0.0, 100.0));
    };
    let base = split[..open].to_string();
    let inner = split[open + 1..].strip_suffix(']').ok_or_else(bad)?;
    let (a, b) = inner.split_once(':').ok_or_else(bad)?;
    let pct = |s: &str, default: f64| -> Result<f64> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(default);
        }
        let v: f64 = s
            .strip_suffix('%')
            .ok_or_else(bad)?
            .parse()
            .map_err(|_| bad())?;
        if (0.0..=100.0).contains(&v) {
            Ok(v)
        } else {
            Err(bad())
        }
    };
    Ok((base, pct(a, 0.0)?, pct(b, 100.0)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_slices() {
        assert_eq!(parse_split("train").unwrap(), ("train".into(), 0.0, 100.0));
        assert_eq!(
            parse_split("train[:20%]").unwrap(),
            ("train".into(), 0.0, 20.0)
        );
        assert_eq!(
            parse_split("train[20%:25%]").unwrap(),
            ("train".into(), 20.0, 25.0)
        );
        assert_eq!(
            parse_split("train[90%:]").unwrap(),
            ("train".into(), 90.0, 100.0)
        );
        assert!(parse_split("train[:20]").is_err());
    }
}
