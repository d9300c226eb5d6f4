//! TFDS's `tfds.load(name, split=…, as_supervised=True)` for the course's image datasets:
//! a folder export `<data_dir>/<name>/<split>/<class>/<images>` when there is one, else the
//! archives TFDS's builders download, fetched and extracted once into the data cache
//! (see `tfds_sources.rs`).

use super::tfds_sources::{list_examples, prepare, source, split_dir};
use super::Dataset;
use crate::error::{Error, Result};
use crate::utils::data_dir::{data_dir, offline};
use crate::utils::image_folder::{decoded_dataset, ImageFolder};
use crate::utils::sample_limit;
use rand::{seq::SliceRandom, SeedableRng};
use std::path::{Path, PathBuf};
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

/// Where [`tfds_load_with`] looks for a dataset and whether it may download it. The default
/// is what [`tfds_load`] does: the data cache, TFDS's own URLs, downloads unless
/// `FERROKERAS_OFFLINE=1`, at most `FERROKERAS_SAMPLE` examples (each read when the value
/// is made).
#[derive(Debug, Clone)]
pub struct TfdsOptions {
    /// The cache folder: a folder export `<data_dir>/<name>/<split>/<class>/`, or the
    /// archives in `<data_dir>/<name>/downloads/` and their extraction in
    /// `<data_dir>/<name>/extracted/<split>/`.
    pub data_dir: PathBuf,
    /// Whether a missing archive may be downloaded.
    pub download: bool,
    /// Another server for the archives; `None` downloads from TFDS's own URLs.
    pub mirror: Option<TfdsMirror>,
    /// Quick mode: at most this many examples per split.
    pub sample_limit: Option<usize>,
}

impl Default for TfdsOptions {
    fn default() -> Self {
        Self {
            data_dir: data_dir(),
            download: !offline(),
            mirror: None,
            sample_limit: sample_limit(),
        }
    }
}

/// A server holding TFDS's archive files under their own names (`<base_url>/rps.zip`, …),
/// e.g. a classroom's copy. Each is checked against TFDS's SHA-256 unless another is given
/// for it (an archive repacked or made for a test).
///
/// ```
/// use ferrokeras::prelude::*;
/// let mirror = TfdsMirror::new("http://10.0.0.2/tfds/")
///     .sha256("rps.zip", "c2403444395842ad04c53612bad54b574443eae17a0723117a2ff87b9d72194f");
/// assert_eq!(mirror.url_of("rps.zip"), "http://10.0.0.2/tfds/rps.zip");
/// ```
#[derive(Debug, Clone, Default)]
pub struct TfdsMirror {
    base_url: String,
    sha256: Vec<(String, String)>,
}

impl TfdsMirror {
    /// Archives are downloaded from `<base_url>/<archive file name>`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            sha256: Vec::new(),
        }
    }

    /// Checks archive `file` (e.g. `"rps.zip"`) against `sha256` (hex) instead of TFDS's.
    pub fn sha256(mut self, file: &str, sha256: &str) -> Self {
        self.sha256.push((file.to_string(), sha256.to_string()));
        self
    }

    /// The URL archive `file` is downloaded from.
    pub fn url_of(&self, file: &str) -> String {
        format!("{}/{file}", self.base_url.trim_end_matches('/'))
    }

    /// The SHA-256 archive `file` must have: the one given for it, else `tfds` (TFDS's).
    pub(crate) fn sha256_of(&self, file: &str, tfds: &str) -> String {
        self.sha256
            .iter()
            .rev()
            .find(|(f, _)| f == file)
            .map_or(tfds, |(_, h)| h.as_str())
            .to_string()
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
/// `"train[:20%]"`, `"train[20%:25%]"`. Examples are in a fixed, class-mixed order, so
/// slices hold every class and never overlap.
///
/// Where the examples come from, as `tfds.load`:
/// * a folder export `$FERROKERAS_DATA_DIR/<name>/<split>/<class>/<images>` (e.g. written
///   from tensorflow_datasets) is read when it exists, any dataset name; corrupt and
///   non-image files are skipped with one warning that counts them;
/// * else, for rock_paper_scissors (train 2,520 / test 372), beans (train 1,034 /
///   validation 133 / test 128) and cats_vs_dogs (train 23,262), the archive TFDS's builder
///   downloads is fetched once (progress bar, SHA-256 checked) into
///   `$FERROKERAS_DATA_DIR/<name>/downloads/` and its examples are extracted once into
///   `…/<name>/extracted/<split>/`, keeping exactly what TFDS keeps (cats_vs_dogs drops the
///   1,738 pictures without a JFIF marker, and says so once). The archive may be deleted
///   afterwards.
///
/// With `FERROKERAS_OFFLINE=1` nothing is downloaded: a missing archive is an
/// [`Error::MissingFile`] naming its URL, the folder to put it in and the folder-export
/// place. [`tfds_load_with`] takes another folder, a mirror or no downloads.
pub fn tfds_load(name: &str, split: &str) -> Result<Dataset> {
    tfds_load_with(name, split, &TfdsOptions::default())
}

/// [`tfds_load`] from `dir` instead of the data cache, with no download: a folder export
/// `dir/<name>/<split>/<class>/…`, or archives already in `dir/<name>/downloads/`.
pub fn tfds_load_from(dir: impl AsRef<Path>, name: &str, split: &str) -> Result<Dataset> {
    let options = TfdsOptions {
        data_dir: dir.as_ref().to_path_buf(),
        download: false,
        ..TfdsOptions::default()
    };
    tfds_load_with(name, split, &options)
}

/// [`tfds_load`] with explicit [`TfdsOptions`]: another cache folder, a mirror of TFDS's
/// archives, or no downloads.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let options = TfdsOptions {
///     mirror: Some(TfdsMirror::new("http://classroom-server/tfds")),
///     ..Default::default()
/// };
/// let test_ds = tfds_load_with("beans", "test", &options)?;
/// assert_eq!(test_ds.len(), Some(128));
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn tfds_load_with(name: &str, split: &str, options: &TfdsOptions) -> Result<Dataset> {
    let (base, start, end) = parse_split(split)?;
    let export = options.data_dir.join(name).join(&base);
    let classes = tfds_class_names(name);
    let (items, class_names) = if export.is_dir() {
        let folder = ImageFolder::scan(&export, classes)?;
        folder.warn();
        let items = folder
            .files
            .iter()
            .cloned()
            .zip(folder.labels.iter().copied())
            .collect();
        (items, folder.class_names.clone())
    } else if let Some(src) = source(name) {
        let Some(archive) = src.archives.iter().find(|a| a.split == base) else {
            let splits: Vec<_> = src.archives.iter().map(|a| a.split).collect();
            return Err(Error::InvalidArgument(format!(
                "{name} has no split '{base}'; its splits are: {}",
                splits.join(", ")
            )));
        };
        prepare(options, src, archive)?;
        let items = list_examples(&split_dir(options, name, &base), src)?;
        let names = classes.unwrap_or_default().iter().map(|c| c.to_string());
        (items, names.collect())
    } else {
        return Err(Error::MissingFile {
            name: format!("{name} {base} split"),
            path: export,
            hint: Some(format!(
                "{name} is not one of the TFDS datasets downloaded here (rock_paper_scissors, \
                 beans, cats_vs_dogs); put a folder export laid out as \
                 <dir>/{name}/{base}/<class>/<images> there, e.g. written from tensorflow_datasets \
                 (https://www.tensorflow.org/datasets/catalog/{name})"
            )),
        });
    };
    let mut items: Vec<(PathBuf, i64)> = items;
    items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(0));
    let n = items.len();
    let lo = (n as f64 * start / 100.0).round() as usize;
    let hi = (n as f64 * end / 100.0).round() as usize;
    let mut items = items[lo.min(n)..hi.min(n).max(lo.min(n))].to_vec();
    if let Some(k) = options.sample_limit {
        items.truncate(k);
    }
    let ds = decoded_dataset(items, None, 3, None, |l| Some(Tensor::from(l)));
    Ok(ds.with_class_names(class_names))
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
