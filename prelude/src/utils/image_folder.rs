//! Keras's `image_dataset_from_directory`: a folder per class of JPEG/PNG files, read lazily
//! into a batched [`Dataset`].

use super::image_io::{color_mode_channels, decode, to_tensor};
use crate::data_adapter::Batch;
use crate::datasets::Dataset;
use crate::error::{Error, Result};
use crate::preprocessing::resize_images;
use rand::{seq::SliceRandom, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tch::{Kind, Tensor};

const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "bmp", "gif"];

/// The image files of a folder-per-class directory, with the files that were skipped.
#[derive(Debug, Clone, Default)]
pub struct ImageFolder {
    /// The directory read.
    pub dir: PathBuf,
    /// Readable image files, class by class, sorted by name within a class.
    pub files: Vec<PathBuf>,
    /// The class index of each file.
    pub labels: Vec<i64>,
    /// The class names (sub-directory names).
    pub class_names: Vec<String>,
    /// Files skipped, with why: not an image file, or not a readable JPEG/PNG.
    pub skipped: Vec<(PathBuf, String)>,
}

impl ImageFolder {
    /// Lists `dir/<class>/<file>`; classes are `class_names` when given (in that order, so
    /// label `i` is `class_names[i]`), else the sub-directories sorted by name. Each image's
    /// header is read, and files that are not images or not readable are skipped.
    pub fn scan(dir: impl AsRef<Path>, class_names: Option<&[&str]>) -> Result<ImageFolder> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(Error::MissingFile {
                name: "image directory".into(),
                path: dir.to_path_buf(),
                hint: Some("expected one sub-directory of images per class".into()),
            });
        }
        let classes: Vec<String> = match class_names {
            Some(c) => c.iter().map(|s| s.to_string()).collect(),
            None => {
                let mut c: Vec<String> = read_dir_sorted(dir)?
                    .into_iter()
                    .filter(|p| p.is_dir())
                    .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .filter(|n| !n.starts_with('.'))
                    .collect();
                c.sort();
                c
            }
        };
        if classes.is_empty() {
            return Err(Error::InvalidData(format!(
                "{}: no class sub-directories found; expected <dir>/<class>/<image files>",
                dir.display()
            )));
        }
        let mut out = ImageFolder {
            dir: dir.to_path_buf(),
            class_names: classes.clone(),
            ..Default::default()
        };
        for (label, class) in classes.iter().enumerate() {
            let cdir = dir.join(class);
            if !cdir.is_dir() {
                return Err(Error::MissingFile {
                    name: format!("class directory '{class}'"),
                    path: cdir,
                    hint: Some(format!("expected classes: {}", classes.join(", "))),
                });
            }
            for f in read_dir_sorted(&cdir)? {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if !f.is_file() || name.starts_with('.') {
                    continue;
                }
                let ext = f
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if !IMAGE_EXTENSIONS.contains(&ext.as_str()) {
                    out.skipped.push((f, "not an image file".into()));
                    continue;
                }
                let header = image::ImageReader::open(&f)
                    .and_then(|r| r.with_guessed_format())
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.into_dimensions().map_err(|e| e.to_string()));
                match header {
                    Ok(_) => {
                        out.files.push(f);
                        out.labels.push(label as i64);
                    }
                    Err(e) => out.skipped.push((f, format!("unreadable ({e})"))),
                }
            }
        }
        Ok(out)
    }

    /// The one warning about skipped files, if any were skipped.
    pub fn warning(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let total = self.files.len() + self.skipped.len();
        let examples: Vec<String> = self
            .skipped
            .iter()
            .take(3)
            .map(|(p, why)| {
                let rel = p.strip_prefix(&self.dir).unwrap_or(p);
                format!("{} ({why})", rel.display())
            })
            .collect();
        let more = if self.skipped.len() > 3 { ", …" } else { "" };
        Some(format!(
            "Warning: skipped {} of {total} files in {} that are not readable images: {}{more}",
            self.skipped.len(),
            self.dir.display(),
            examples.join(", ")
        ))
    }

    /// Prints [`warning`](Self::warning) to stderr when files were skipped.
    pub fn warn(&self) {
        if let Some(w) = self.warning() {
            eprintln!("{w}");
        }
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// Which part of the files [`image_dataset_from_directory`] returns when splitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subset {
    /// The first `1 - validation_split` of the (seeded, shuffled) files.
    Training,
    /// The last `validation_split` of them.
    Validation,
}

/// Options of [`image_dataset_from_directory`], with Keras's defaults.
#[derive(Debug, Clone)]
pub struct ImageDatasetOptions {
    /// `(height, width)` every image is resized to (bilinear). Default `(256, 256)`.
    pub image_size: (i64, i64),
    /// Batch size; `None` gives single images. Default 32.
    pub batch_size: Option<usize>,
    /// Shuffle the files (once with `seed` for the split, then again on each pass). Default true.
    pub shuffle: bool,
    /// Seed for shuffling and splitting; needed with `validation_split`.
    pub seed: Option<u64>,
    /// Fraction of the files kept for validation.
    pub validation_split: Option<f64>,
    /// Which part to return when `validation_split` is set.
    pub subset: Option<Subset>,
    /// `"int"` (class index, `Int64`), `"categorical"` (one-hot float), `"binary"`
    /// (`(1,)` float 0/1) or `"none"` (no labels). Default `"int"`.
    pub label_mode: &'static str,
    /// `"rgb"`, `"grayscale"` or `"rgba"`. Default `"rgb"`.
    pub color_mode: &'static str,
}

impl Default for ImageDatasetOptions {
    fn default() -> Self {
        Self {
            image_size: (256, 256),
            batch_size: Some(32),
            shuffle: true,
            seed: None,
            validation_split: None,
            subset: None,
            label_mode: "int",
            color_mode: "rgb",
        }
    }
}

/// A dataset of `(images, labels)` from `directory/<class>/<images>`, as Keras's
/// `image_dataset_from_directory`: images `(batch, height, width, channels)` `Kind::Float`
/// with values 0–255, classes sorted by folder name ([`Dataset::class_names`]). Files that
/// are not readable images are skipped with one warning that counts them. Images are read
/// lazily on each pass (add `.prefetch(n)` to read them on a background thread).
///
/// ```
/// use ferrokeras::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// for class in ["cat", "dog"] {
///     std::fs::create_dir(dir.path().join(class)).unwrap();
///     let img = Tensor::zeros([8, 8, 3], (Kind::Uint8, Device::Cpu));
///     save_img(dir.path().join(class).join("a.png"), &img)?;
/// }
/// let ds = image_dataset_from_directory(dir.path(), ImageDatasetOptions {
///     image_size: (4, 4), batch_size: Some(2), ..Default::default()
/// })?;
/// assert_eq!(ds.class_names(), ["cat", "dog"]);
/// let batch = ds.iter().next().unwrap()?;
/// assert_eq!(batch.x().size(), vec![2, 4, 4, 3]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn image_dataset_from_directory(
    directory: impl AsRef<Path>,
    options: ImageDatasetOptions,
) -> Result<Dataset> {
    let folder = ImageFolder::scan(directory, None)?;
    folder.warn();
    let o = &options;
    let channels = color_mode_channels(o.color_mode)?;
    if !["int", "categorical", "binary", "none"].contains(&o.label_mode) {
        return Err(Error::UnknownId {
            kind: "label_mode",
            got: o.label_mode.into(),
            valid: vec!["int", "categorical", "binary", "none"],
        });
    }
    let n_classes = folder.class_names.len();
    if o.label_mode == "binary" && n_classes != 2 {
        return Err(Error::InvalidArgument(format!(
            "label_mode \"binary\" needs exactly 2 classes, found {n_classes}: {}",
            folder.class_names.join(", ")
        )));
    }
    let seed = o.seed.unwrap_or_else(rand::random);
    let mut items: Vec<(PathBuf, i64)> = folder
        .files
        .iter()
        .cloned()
        .zip(folder.labels.iter().copied())
        .collect();
    if o.shuffle || o.validation_split.is_some() {
        items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed));
    }
    if let Some(split) = o.validation_split {
        if !(split > 0.0 && split < 1.0) {
            return Err(Error::InvalidArgument(format!(
                "validation_split must be in (0, 1), got {split}"
            )));
        }
        if o.seed.is_none() && o.shuffle {
            return Err(Error::InvalidArgument(
                "validation_split with shuffle needs a seed, so training and validation do not overlap".into(),
            ));
        }
        let n_val = (items.len() as f64 * split) as usize;
        items = match o.subset {
            Some(Subset::Training) => items[..items.len() - n_val].to_vec(),
            Some(Subset::Validation) => items[items.len() - n_val..].to_vec(),
            None => return Err(Error::InvalidArgument(
                "validation_split needs subset: Some(Subset::Training) or Some(Subset::Validation)"
                    .into(),
            )),
        };
    }
    if let Some(n) = super::sample_limit() {
        items.truncate(n);
    }
    let mode = o.label_mode;
    let ds = files_dataset(
        items,
        o.image_size,
        channels,
        o.shuffle.then_some(seed),
        move |label| match mode {
            "none" => None,
            "categorical" => Some(
                Tensor::from(label)
                    .one_hot(n_classes as i64)
                    .to_kind(Kind::Float),
            ),
            "binary" => Some(Tensor::from_slice(&[label as f32])),
            _ => Some(Tensor::from(label)),
        },
    );
    let ds = ds.with_class_names(folder.class_names.clone());
    Ok(match o.batch_size {
        Some(b) => ds.batch(b),
        None => ds,
    })
}

/// Both subsets at once (Keras's `subset="both"`): `(training, validation)` with the same
/// seed, so they never overlap. `options.validation_split` and `options.seed` are required.
pub fn image_dataset_from_directory_both(
    directory: impl AsRef<Path>,
    options: ImageDatasetOptions,
) -> Result<(Dataset, Dataset)> {
    if options.validation_split.is_none() || options.seed.is_none() {
        return Err(Error::InvalidArgument(
            "image_dataset_from_directory_both needs validation_split and seed".into(),
        ));
    }
    let dir = directory.as_ref();
    let train = image_dataset_from_directory(
        dir,
        ImageDatasetOptions {
            subset: Some(Subset::Training),
            ..options.clone()
        },
    )?;
    let val = image_dataset_from_directory(
        dir,
        ImageDatasetOptions {
            subset: Some(Subset::Validation),
            ..options
        },
    )?;
    Ok((train, val))
}

/// A dataset that decodes (and, with `size`, resizes) `files` lazily, one element per file,
/// reshuffled on each pass when `shuffle_seed` is given. Files that fail to decode are
/// skipped with a warning at the end of the pass.
pub(crate) fn files_dataset(
    items: Vec<(PathBuf, i64)>,
    size: (i64, i64),
    channels: i64,
    shuffle_seed: Option<u64>,
    label: impl Fn(i64) -> Option<Tensor> + Send + Sync + 'static,
) -> Dataset {
    decoded_dataset(items, Some(size), channels, shuffle_seed, label)
}

/// Like [`files_dataset`]; `size: None` keeps each image's own size and `Uint8` pixels.
pub(crate) fn decoded_dataset(
    items: Vec<(PathBuf, i64)>,
    size: Option<(i64, i64)>,
    channels: i64,
    shuffle_seed: Option<u64>,
    label: impl Fn(i64) -> Option<Tensor> + Send + Sync + 'static,
) -> Dataset {
    let items = Arc::new(items);
    let n = items.len();
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 8);
    let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let decode_one = {
        let failed = failed.clone();
        Arc::new(move |(path, y): (PathBuf, i64)| -> Option<Result<Batch>> {
            let img = match decode(&path) {
                Ok(img) => to_tensor(&img, channels),
                Err(_) => {
                    failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return None;
                }
            };
            let x = match size {
                Some(s) => match resize_images(&img, s) {
                    Ok(x) => x,
                    Err(e) => return Some(Err(e)),
                },
                None => img,
            };
            Some(Ok(Batch::new(x, label(y))))
        })
    };
    Dataset::from_fn(Some(n), move |pass| {
        let mut order: Vec<usize> = (0..items.len()).collect();
        if let Some(s) = shuffle_seed {
            order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(s.wrapping_add(pass)));
        }
        let list = items.clone();
        let paths = order.into_iter().map(move |i| list[i].clone());
        let mut inner = crate::datasets::parallel_ordered(paths, decode_one.clone(), workers);
        let failed = failed.clone();
        failed.store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(Box::new(std::iter::from_fn(move || {
            let next = inner.next();
            if next.is_none() {
                let k = failed.swap(0, std::sync::atomic::Ordering::Relaxed);
                if k > 0 {
                    eprintln!("Warning: skipped {k} images that could not be decoded in this pass");
                }
            }
            next
        })) as crate::datasets::ElementIter)
    })
}
