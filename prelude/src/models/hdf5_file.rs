//! Reading Keras's HDF5 weight files: the few things both layouts need (groups, string-list
//! attributes, float datasets as tensors), with errors that name the file and what was
//! expected. The HDF5 decoding itself is the pure-Rust `hdf5-reader` crate (no C library to
//! install or load; docs/guide.md says why).

use crate::error::{Error, Result};
use hdf5_reader::group::Group;
use hdf5_reader::messages::datatype::Datatype;
use hdf5_reader::{Dataset, Hdf5File};
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// The 8 bytes every HDF5 file starts with (when its user block is empty, as Keras's are).
const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";

/// Whether `path` starts with the HDF5 signature (`false` for a missing or short file).
pub(crate) fn is_hdf5(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == SIGNATURE)
}

/// An open HDF5 file, remembering its path for error messages.
pub(crate) struct H5 {
    pub path: PathBuf,
    file: Hdf5File,
}

impl H5 {
    /// Opens `path`; a missing file is [`Error::Io`], a file that is not HDF5
    /// [`Error::CorruptFile`].
    pub fn open(path: &Path) -> Result<H5> {
        if !path.is_file() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such weights file"),
            ));
        }
        let file = Hdf5File::open(path).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!("a Keras HDF5 weights file ({e})"),
        })?;
        Ok(H5 {
            path: path.to_path_buf(),
            file,
        })
    }

    /// An HDF5 file held in memory (a `.keras` archive's `model.weights.h5`); `path` names it
    /// in errors, e.g. `model.keras/model.weights.h5`.
    pub fn from_bytes(bytes: Vec<u8>, path: PathBuf) -> Result<H5> {
        let file = Hdf5File::from_vec(bytes).map_err(|e| Error::CorruptFile {
            path: path.clone(),
            expected: format!("a Keras HDF5 weights file ({e})"),
        })?;
        Ok(H5 { path, file })
    }

    /// The error for a file whose structure is not what a Keras weights file has.
    pub fn corrupt(&self, expected: impl Into<String>) -> Error {
        Error::CorruptFile {
            path: self.path.clone(),
            expected: expected.into(),
        }
    }

    /// The group at `path` (`/` for the root).
    pub fn group(&self, path: &str) -> Result<Group> {
        let found = if path == "/" || path.is_empty() {
            self.file.root_group()
        } else {
            self.file.group(path)
        };
        found.map_err(|e| self.corrupt(format!("a group '{path}' ({e})")))
    }

    /// Whether `parent` has a child group `name`.
    pub fn has_group(&self, parent: &Group, name: &str) -> bool {
        parent
            .member_names()
            .is_ok_and(|(groups, _)| groups.iter().any(|g| g == name))
    }

    /// The child group and dataset names of `group`.
    pub fn members(&self, group: &Group) -> Result<(Vec<String>, Vec<String>)> {
        group
            .member_names()
            .map_err(|e| self.corrupt(format!("a readable group '{}' ({e})", group.name())))
    }

    /// A list-of-strings attribute of `group` (Keras's `layer_names`, `weight_names`), or
    /// `None` when absent. As Keras writes them, a list too long for one attribute is split
    /// into `name0`, `name1`, …; an empty list may be stored as an empty float array.
    pub fn strings_attr(&self, group: &Group, name: &str) -> Result<Option<Vec<String>>> {
        let attrs = group.attributes().map_err(|e| {
            self.corrupt(format!("readable attributes on '{}' ({e})", group.name()))
        })?;
        let decode = |a: &hdf5_reader::Attribute| -> Result<Vec<String>> {
            if a.shape.iter().product::<u64>() == 0 {
                return Ok(Vec::new());
            }
            a.read_strings().map_err(|e| {
                self.corrupt(format!(
                    "attribute '{}' of '{}' to be a list of strings ({e})",
                    a.name,
                    group.name()
                ))
            })
        };
        if let Some(a) = attrs.iter().find(|a| a.name == name) {
            return decode(a).map(Some);
        }
        let mut out = Vec::new();
        let mut found = false;
        for i in 0.. {
            let part = format!("{name}{i}");
            match attrs.iter().find(|a| a.name == part) {
                Some(a) => {
                    found = true;
                    out.extend(decode(a)?);
                }
                None => break,
            }
        }
        Ok(found.then_some(out))
    }

    /// A string attribute of `group` (a legacy `.h5`'s `model_config`), or `None` when absent.
    pub fn string_attr(&self, group: &Group, name: &str) -> Result<Option<String>> {
        let attrs = group.attributes().map_err(|e| {
            self.corrupt(format!("readable attributes on '{}' ({e})", group.name()))
        })?;
        let Some(a) = attrs.iter().find(|a| a.name == name) else {
            return Ok(None);
        };
        let strings = a.read_strings().map_err(|e| {
            self.corrupt(format!(
                "attribute '{name}' of '{}' to be a string ({e})",
                group.name()
            ))
        })?;
        Ok(strings.into_iter().next())
    }

    /// The dataset at `path` as a float tensor of the stored shape.
    pub fn tensor(&self, path: &str) -> Result<Tensor> {
        read_f32(self, &self.dataset(path)?, path)
    }

    /// The dataset at `path` as a tensor of the stored shape: int64 when it holds integers
    /// (an optimizer's `iteration`), else float32.
    pub fn numbers(&self, path: &str) -> Result<Tensor> {
        let ds = self.dataset(path)?;
        if !matches!(ds.dtype(), Datatype::FixedPoint { .. }) {
            return read_f32(self, &ds, path);
        }
        let shape: Vec<i64> = ds.shape().iter().map(|&d| d as i64).collect();
        let values = read_integers(&ds)
            .ok_or_else(|| self.corrupt(format!("dataset '{path}' to hold numbers")))?;
        Ok(Tensor::from_slice(&values).reshape(&shape))
    }

    fn dataset(&self, path: &str) -> Result<Dataset> {
        self.file
            .dataset(path)
            .map_err(|e| self.corrupt(format!("a dataset '{path}' ({e})")))
    }
}

/// An integer dataset's values, whatever the integer type stored.
fn read_integers(ds: &Dataset) -> Option<Vec<i64>> {
    macro_rules! try_as {
        ($($t:ty),*) => {$(
            if let Ok(a) = ds.read_array::<$t>() {
                return Some(a.iter().map(|&v| v as i64).collect());
            }
        )*};
    }
    try_as!(i32, i64, u32, u64, i16, u16, i8, u8);
    None
}

fn read_f32(h5: &H5, ds: &Dataset, path: &str) -> Result<Tensor> {
    let shape: Vec<i64> = ds.shape().iter().map(|&d| d as i64).collect();
    let n: i64 = shape.iter().product();
    let mut values = vec![0f32; n as usize];
    ds.read_into(&mut values)
        .map_err(|e| h5.corrupt(format!("dataset '{path}' to hold numbers ({e})")))?;
    Ok(Tensor::from_slice(&values)
        .to_kind(Kind::Float)
        .reshape(&shape))
}
