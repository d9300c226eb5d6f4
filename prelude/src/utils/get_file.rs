//! Keras's `keras.utils.get_file`: a file from the cache directory, downloaded once when
//! missing, checked against its SHA-256, and written atomically (temp file, then rename).

use super::data_dir::{data_dir, find_local, missing_hint, offline};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Files the course downloads, with the local names they may also have (the shared dataset
/// directory keeps tiny Shakespeare as `tiny_shakespeare/input.txt`).
struct Known {
    url: &'static str,
    subdir: &'static str,
    file: &'static str,
    sha256: Option<&'static str>,
}

const KNOWN: &[Known] = &[
    Known {
        url: "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
        subdir: "tiny_shakespeare",
        file: "input.txt",
        sha256: Some("86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"),
    },
    Known {
        url: "https://archive.ics.uci.edu/ml/machine-learning-databases/car/car.data",
        subdir: "car_evaluation",
        file: "car.data",
        sha256: Some("b703a9ac69f11e64ce8c223c0a40de4d2e9d769f7fb20be5f8f2e8a619893d83"),
    },
    Known {
        url: "https://archive.ics.uci.edu/ml/machine-learning-databases/iris/iris.data",
        subdir: "iris",
        file: "iris.data",
        sha256: Some("6f608b71a7317216319b4d27b4d9bc84e6abd734eda7872b71a458569e2656c0"),
    },
];

/// Downloads `origin` into the cache as `fname` unless it is already there, and returns the
/// local path (Keras's `get_file(fname, origin, file_hash)`).
///
/// The file is looked for in `FERROKERAS_DATA_DIR` (or the default cache directory), under
/// `fname` and, for the course's known files, under their usual local names (e.g.
/// `tiny_shakespeare/input.txt` for `shakespeare.txt`). A download goes to a temporary file
/// in the same directory, is checked against `file_hash` (SHA-256, hex) when given, and is
/// renamed into place only when complete. With `FERROKERAS_OFFLINE=1` nothing is
/// downloaded and a missing file is [`Error::MissingFile`].
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let path = get_file(
///     "shakespeare.txt",
///     "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt",
///     None,
/// )?;
/// let text = std::fs::read_to_string(path).unwrap().to_lowercase();
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn get_file(fname: &str, origin: &str, file_hash: Option<&str>) -> Result<PathBuf> {
    let root = data_dir();
    let direct = root.join(fname);
    if direct.is_file() {
        return Ok(direct);
    }
    if let Some(k) = KNOWN.iter().find(|k| k.url == origin) {
        for p in [
            root.join(k.subdir).join(k.file),
            root.join(k.subdir).join(fname),
        ] {
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let hash = file_hash.or_else(|| KNOWN.iter().find(|k| k.url == origin)?.sha256);
    ensure_downloaded(fname, &direct, origin, hash)
}

/// Finds `file` of a dataset (explicit `dir`, else the cache), downloading it into the cache
/// when it is missing and downloads are allowed.
pub(crate) fn fetch(
    name: &str,
    dir: Option<&Path>,
    subdir: &str,
    file: &str,
    url: &str,
    sha256: Option<&str>,
) -> Result<PathBuf> {
    match find_local(name, dir, subdir, file, Some(url)) {
        Ok(p) => Ok(p),
        Err(e) if dir.is_some() || offline() => Err(e),
        Err(_) => ensure_downloaded(name, &data_dir().join(subdir).join(file), url, sha256),
    }
}

fn ensure_downloaded(name: &str, dest: &Path, url: &str, sha256: Option<&str>) -> Result<PathBuf> {
    if dest.is_file() {
        return Ok(dest.to_path_buf());
    }
    if offline() {
        return Err(Error::MissingFile {
            name: name.to_string(),
            path: dest.to_path_buf(),
            hint: Some(missing_hint(Some(url))),
        });
    }
    download(url, dest, sha256)?;
    Ok(dest.to_path_buf())
}

/// Downloads `url` to `dest` atomically, verifying the hash when given: SHA-256 (64 hex
/// digits) or MD5 (32), told apart by length as Keras's `get_file(file_hash=…)` does (Keras's
/// published application weights have MD5 hashes).
pub fn download(url: &str, dest: &Path, sha256: Option<&str>) -> Result<()> {
    let fail = |reason: String| Error::Download {
        url: url.to_string(),
        reason,
    };
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    let mut resp = ureq::get(url).call().map_err(|e| fail(e.to_string()))?;
    let total = resp.body().content_length();
    let mut reader = resp.body_mut().as_reader();
    println!("Downloading data from {url}");
    let mut bar = crate::runtime::ProgressBar::new(total);
    let mut hasher = Sha256::new();
    let mut md5 = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = 0u64;
    loop {
        if crate::runtime::interrupted() {
            return Err(Error::Interrupted);
        }
        let n = reader.read(&mut buf).map_err(|e| fail(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        md5.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(|e| Error::io(tmp.path(), e))?;
        done += n as u64;
        bar.update(done, "");
    }
    bar.finish("");
    if let Some(t) = total {
        if t != done {
            return Err(fail(format!("connection closed after {done} of {t} bytes")));
        }
    }
    if let Some(expected) = sha256 {
        let got = if expected.len() == 32 {
            hex(&md5.finalize())
        } else {
            hex(&hasher.finalize())
        };
        if !got.eq_ignore_ascii_case(expected) {
            return Err(fail(format!(
                "checksum mismatch: expected {} {expected}, got {got}",
                if expected.len() == 32 {
                    "MD5"
                } else {
                    "SHA-256"
                }
            )));
        }
    }
    tmp.flush().map_err(|e| Error::io(tmp.path(), e))?;
    tmp.persist(dest).map_err(|e| Error::io(dest, e.error))?;
    Ok(())
}

/// The SHA-256 of a file, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut f, &mut hasher).map_err(|e| Error::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Extracts the members of a `.tar.gz` for which `wanted(member_name)` gives a destination,
/// each written atomically. Returns how many were extracted.
pub(crate) fn extract_tar_gz(
    archive: &Path,
    wanted: impl Fn(&str) -> Option<PathBuf>,
) -> Result<usize> {
    let f = std::fs::File::open(archive).map_err(|e| Error::io(archive, e))?;
    let mut r = flate2::read::GzDecoder::new(std::io::BufReader::new(f));
    let corrupt = |what: String| Error::CorruptFile {
        path: archive.to_path_buf(),
        expected: what,
    };
    let mut count = 0;
    let mut header = [0u8; 512];
    loop {
        if r.read_exact(&mut header).is_err() || header.iter().all(|&b| b == 0) {
            return Ok(count);
        }
        let field = |a: usize, b: usize| {
            let s = &header[a..b];
            let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
            String::from_utf8_lossy(&s[..end]).trim().to_string()
        };
        let size = u64::from_str_radix(&field(124, 136), 8)
            .map_err(|_| corrupt("expected a tar header with an octal size".into()))?;
        let prefix = field(345, 500);
        let name = if &header[257..262] == b"ustar" && !prefix.is_empty() {
            format!("{prefix}/{}", field(0, 100))
        } else {
            field(0, 100)
        };
        let regular = matches!(header[156], b'0' | 0);
        let padded = size.div_ceil(512) * 512;
        let mut body = (&mut r).take(padded);
        match wanted(&name).filter(|_| regular) {
            Some(dest) => {
                let parent = dest.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
                let mut tmp =
                    tempfile::NamedTempFile::new_in(parent).map_err(|e| Error::io(parent, e))?;
                let copied = std::io::copy(&mut (&mut body).take(size), &mut tmp)
                    .map_err(|e| Error::io(archive, e))?;
                if copied != size {
                    return Err(corrupt(format!(
                        "truncated: member {name} should have {size} bytes, archive has {copied}"
                    )));
                }
                std::io::copy(&mut body, &mut std::io::sink())
                    .map_err(|e| Error::io(archive, e))?;
                tmp.persist(&dest).map_err(|e| Error::io(&dest, e.error))?;
                count += 1;
            }
            None => {
                std::io::copy(&mut body, &mut std::io::sink())
                    .map_err(|e| Error::io(archive, e))?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_member(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        h[156] = b'0';
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(512 + data.len().div_ceil(512) * 512, 0);
        out
    }

    #[test]
    fn extracts_wanted_members_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = tar_member("a/one.bin", b"hello");
        tar.extend(tar_member("a/two.bin", &[7u8; 600]));
        tar.extend([0u8; 1024]);
        let archive = dir.path().join("x.tar.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        std::fs::write(&archive, gz.finish().unwrap()).unwrap();
        let out = dir.path().join("out");
        let n = extract_tar_gz(&archive, |name| {
            name.ends_with("two.bin").then(|| out.join("two.bin"))
        })
        .unwrap();
        assert_eq!(n, 1);
        assert_eq!(std::fs::read(out.join("two.bin")).unwrap(), vec![7u8; 600]);
        assert!(!out.join("one.bin").exists());
    }

    #[test]
    fn sha256_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
