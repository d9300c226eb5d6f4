//! The IDX format of MNIST and Fashion-MNIST (optionally gzip-compressed), and the loader
//! both datasets share.

use super::Split;
use crate::error::{Error, Result};
use crate::utils::data_dir::{candidates, find_local, offline};
use crate::utils::get_file::fetch;
use crate::utils::sample_limit;
use std::io::Read;
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// IDX magic of unsigned-byte 3-D arrays (images).
pub const IDX_IMAGES_MAGIC: u32 = 2051;
/// IDX magic of unsigned-byte 1-D arrays (labels).
pub const IDX_LABELS_MAGIC: u32 = 2049;

/// Reads an IDX file of unsigned bytes with the given magic, keeping at most `limit` items
/// along the first axis. Returns the dimensions (first one already limited) and the bytes.
pub fn read_idx(path: &Path, magic: u32, limit: Option<usize>) -> Result<(Vec<usize>, Vec<u8>)> {
    let corrupt = |expected: String| Error::CorruptFile {
        path: path.to_path_buf(),
        expected,
    };
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut raw = std::io::BufReader::new(file);
    let mut first = [0u8; 2];
    let peeked = raw.read(&mut first).map_err(|e| Error::io(path, e))?;
    let head = std::io::Cursor::new(first[..peeked].to_vec()).chain(raw);
    let mut reader: Box<dyn Read> = if peeked == 2 && first == [0x1f, 0x8b] {
        Box::new(flate2::read::GzDecoder::new(head))
    } else {
        Box::new(head)
    };
    let what = if magic == IDX_IMAGES_MAGIC {
        "images"
    } else {
        "labels"
    };
    let mut h = [0u8; 4];
    read_full(&mut reader, &mut h, path)?;
    let found = u32::from_be_bytes(h);
    if found != magic {
        return Err(corrupt(format!(
            "expected IDX magic {magic} ({what}), found {found}"
        )));
    }
    let ndim = (found & 0xff) as usize;
    let mut dims = Vec::with_capacity(ndim);
    for _ in 0..ndim {
        let mut d = [0u8; 4];
        if read_full(&mut reader, &mut d, path)? < 4 {
            return Err(corrupt(format!(
                "truncated: IDX header of {ndim} dimensions is incomplete"
            )));
        }
        dims.push(u32::from_be_bytes(d) as usize);
    }
    let count = dims[0];
    let item: usize = dims[1..].iter().product();
    let keep = limit.map_or(count, |l| l.min(count));
    let want = keep * item;
    let mut data = vec![0u8; want];
    let got = read_full(&mut reader, &mut data, path)?;
    if got < want {
        let total = count * item;
        let shape = dims[1..]
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("×");
        let have = got;
        return Err(corrupt(if item == 1 {
            format!("truncated: header says {count} {what} = {total} bytes, file has {have}")
        } else {
            format!(
                "truncated: header says {count} {what} of {shape} = {total} bytes, file has {have}"
            )
        }));
    }
    dims[0] = keep;
    Ok((dims, data))
}

/// Reads until `buf` is full or the stream ends; returns how many bytes were read.
fn read_full(r: &mut dyn Read, buf: &mut [u8], path: &Path) -> Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Error::CorruptFile {
                    path: path.to_path_buf(),
                    expected: format!("expected a readable (gzip) IDX stream: {e}"),
                })
            }
        }
    }
    Ok(n)
}

/// One IDX dataset: where its four files come from.
pub(crate) struct IdxSpec {
    pub name: &'static str,
    pub subdir: &'static str,
    pub base_url: &'static str,
    /// `(images file, labels file, images sha256, labels sha256)` for train, then test.
    pub files: [(
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
    ); 2],
    /// Keras's single-file `.npz` (URL, SHA-256), used when the IDX files are absent.
    pub npz: Option<(&'static str, &'static str)>,
}

impl IdxSpec {
    /// `(images (N, 28, 28) Uint8, labels (N,) Int64)` of one split.
    pub fn load_split(&self, dir: Option<&Path>, split: Split) -> Result<(Tensor, Tensor)> {
        let (img_file, lbl_file, img_hash, lbl_hash, label) = match split {
            Split::Train => {
                let f = self.files[0];
                (f.0, f.1, f.2, f.3, "training")
            }
            Split::Test => {
                let f = self.files[1];
                (f.0, f.1, f.2, f.3, "test")
            }
            Split::Validation => {
                return Err(Error::InvalidArgument(format!(
                    "{} has no validation split; use Split::Train or Split::Test",
                    self.name
                )))
            }
        };
        let limit = sample_limit();
        let url = |f: &str| format!("{}{f}", self.base_url);
        let have_idx = [img_file, lbl_file]
            .iter()
            .all(|f| find_local(self.name, dir, self.subdir, f, None).is_ok());
        if let (false, Some((npz_url, npz_sha))) = (have_idx, self.npz) {
            if let Some(p) = self.local_npz(dir) {
                return npz_split(&p, split, limit);
            }
            if dir.is_none() && !offline() {
                let name = format!("{} (Keras's {})", self.name, self.npz_file());
                let p = fetch(
                    &name,
                    None,
                    self.subdir,
                    self.npz_file(),
                    npz_url,
                    Some(npz_sha),
                )?;
                return npz_split(&p, split, limit);
            }
        }
        let img_path = fetch(
            &format!("{} {label} images", self.name),
            dir,
            self.subdir,
            img_file,
            &url(img_file),
            img_hash,
        )
        .map_err(|e| self.mention_npz(e))?;
        let lbl_path = fetch(
            &format!("{} {label} labels", self.name),
            dir,
            self.subdir,
            lbl_file,
            &url(lbl_file),
            lbl_hash,
        )
        .map_err(|e| self.mention_npz(e))?;
        let (dims, pixels) = read_idx(&img_path, IDX_IMAGES_MAGIC, limit)?;
        let (ldims, labels) = read_idx(&lbl_path, IDX_LABELS_MAGIC, limit)?;
        if dims[0] != ldims[0] {
            return Err(Error::CorruptFile {
                path: lbl_path,
                expected: format!(
                    "expected {} labels to match {}, found {}",
                    dims[0],
                    img_path.display(),
                    ldims[0]
                ),
            });
        }
        let shape: Vec<i64> = dims.iter().map(|&d| d as i64).collect();
        let x = Tensor::from_slice(&pixels).reshape(shape);
        let y = Tensor::from_slice(&labels).to_kind(Kind::Int64);
        Ok((x, y))
    }

    /// Adds the `.npz` alternative to a missing-file hint.
    fn mention_npz(&self, e: Error) -> Error {
        match (e, self.npz) {
            (
                Error::MissingFile {
                    name,
                    path,
                    hint: Some(h),
                },
                Some((url, _)),
            ) => Error::MissingFile {
                name,
                path,
                hint: Some(h.replacen(
                    "put it there,",
                    &format!("put it there (or Keras's {} from {url}),", self.npz_file()),
                    1,
                )),
            },
            (e, _) => e,
        }
    }

    fn npz_file(&self) -> &'static str {
        self.npz
            .map_or("", |(url, _)| url.rsplit('/').next().unwrap_or(""))
    }

    /// A local copy of the `.npz`: in `dir`, else in the cache or Keras's own cache
    /// (`~/.keras/datasets/`).
    fn local_npz(&self, dir: Option<&Path>) -> Option<PathBuf> {
        let file = self.npz_file();
        let mut cands = candidates(dir, self.subdir, file);
        if dir.is_none() {
            if let Some(home) = dirs::home_dir() {
                cands.push(home.join(".keras").join("datasets").join(file));
            }
        }
        cands.into_iter().find(|p| p.is_file())
    }

    pub fn load_data(&self, dir: Option<&Path>) -> Result<super::TrainTest> {
        let train = self.load_split(dir, Split::Train)?;
        let test = self.load_split(dir, Split::Test)?;
        Ok((train, test))
    }
}

/// One split of a Keras `.npz` (`x_train`/`y_train` or `x_test`/`y_test`).
fn npz_split(path: &Path, split: Split, limit: Option<usize>) -> Result<(Tensor, Tensor)> {
    let suffix = if split == Split::Train {
        "train"
    } else {
        "test"
    };
    let arrays = crate::utils::load_npz(path)?;
    let get = |name: String| {
        arrays
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t.shallow_clone())
            .ok_or_else(|| Error::CorruptFile {
                path: path.to_path_buf(),
                expected: format!(
                    "expected an array '{name}'; found {}",
                    arrays
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    };
    let (x, y) = (get(format!("x_{suffix}"))?, get(format!("y_{suffix}"))?);
    if x.kind() != Kind::Uint8 || x.dim() != 3 || y.size().first() != x.size().first() {
        return Err(Error::CorruptFile {
            path: path.to_path_buf(),
            expected: format!(
                "expected x_{suffix} (N, 28, 28) uint8 and y_{suffix} (N,), found {:?} {:?} and {:?}",
                x.size(),
                x.kind(),
                y.size()
            ),
        });
    }
    let n = x.size()[0];
    let keep = limit.map_or(n, |l| (l as i64).min(n));
    Ok((
        x.narrow(0, 0, keep),
        y.to_kind(Kind::Int64).narrow(0, 0, keep),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_truncated_idx() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.idx");
        let mut b = vec![0, 0, 8, 1, 0, 0, 0, 3];
        b.extend([5u8, 6, 7]);
        std::fs::write(&p, &b).unwrap();
        let (d, v) = read_idx(&p, IDX_LABELS_MAGIC, None).unwrap();
        assert_eq!((d, v), (vec![3], vec![5, 6, 7]));
        let (d, v) = read_idx(&p, IDX_LABELS_MAGIC, Some(2)).unwrap();
        assert_eq!((d, v), (vec![2], vec![5, 6]));
        std::fs::write(&p, &b[..10]).unwrap();
        let err = read_idx(&p, IDX_LABELS_MAGIC, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(": truncated: header says 3 labels = 3 bytes, file has 2"),
            "{err}"
        );
    }
}
