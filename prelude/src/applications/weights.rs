//! Which weights an application starts with (Keras's `weights=` argument), and fetching
//! Keras's published ImageNet files.

use crate::error::{Error, Result};
use crate::utils::get_file::fetch;
use std::path::{Path, PathBuf};

/// Where an application's weights come from: Keras's `weights="imagenet"`, `weights=None`,
/// or a path to a weights file. From a string: `"imagenet"`, `""` or `"none"` (random),
/// anything else a path.
///
/// ```
/// use ferrokeras::applications::Weights;
/// assert_eq!(Weights::from("imagenet"), Weights::Imagenet);
/// assert_eq!(Weights::from(""), Weights::None);
/// assert!(matches!(Weights::from("my.weights.h5"), Weights::File(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Weights {
    /// Keras's published ImageNet weights for this model and size (the default, as in Keras).
    #[default]
    Imagenet,
    /// Random initial weights.
    None,
    /// A weights file (Keras `.h5` or `.weights.h5`, or the prelude's safetensors).
    File(PathBuf),
}

impl From<&str> for Weights {
    fn from(s: &str) -> Weights {
        match s {
            "imagenet" => Weights::Imagenet,
            "" | "none" | "None" => Weights::None,
            path => Weights::File(PathBuf::from(path)),
        }
    }
}

impl From<String> for Weights {
    fn from(s: String) -> Weights {
        Weights::from(s.as_str())
    }
}

impl From<&Path> for Weights {
    fn from(p: &Path) -> Weights {
        Weights::File(p.to_path_buf())
    }
}

impl From<PathBuf> for Weights {
    fn from(p: PathBuf) -> Weights {
        Weights::File(p)
    }
}

/// One of Keras's published files: its name, where Keras downloads it, and the hash Keras
/// checks (MD5 or SHA-256 by length, as Keras's `get_file` does; `None` where Keras has none).
pub(crate) struct Published {
    pub what: String,
    pub file: String,
    pub url: String,
    pub hash: Option<&'static str>,
}

impl Published {
    /// The local copy, from the cache's `models/` folder (Keras's `cache_subdir="models"`),
    /// downloaded once when missing. Offline, a missing file is an error naming the file,
    /// its URL and the folder to put it in.
    pub fn path(&self) -> Result<PathBuf> {
        fetch(&self.what, None, "models", &self.file, &self.url, self.hash)
    }
}

/// The error for `weights: "imagenet"` with options Keras has no published file for.
pub(crate) fn no_published(model: &str, detail: &str) -> Error {
    Error::InvalidArgument(format!(
        "{model}: there are no published ImageNet weights for {detail}"
    ))
}
