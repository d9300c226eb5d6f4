//! Where dataset files live, and the switches every loader obeys (session settings,
//! `runtime::settings`, from these variables):
//!
//! * `FERROKERAS_DATA_DIR` — the cache directory (default: the user's cache directory,
//!   e.g. `~/.cache/ferrokeras/datasets` on Linux). Loaders look for their files in a
//!   sub-directory named after the dataset (`mnist/`, `car_evaluation/`, …), then in the
//!   directory itself.
//! * `FERROKERAS_OFFLINE=1` — never download; a missing file is an [`Error::MissingFile`]
//!   that says where to get it.
//! * `FERROKERAS_SAMPLE=n` — quick mode: every dataset loader returns at most `n` examples
//!   per split, so notebooks run end to end in CI without changing their code.

use crate::error::{Error, Result};
use crate::runtime::settings::setting;
use std::path::{Path, PathBuf};

/// The dataset cache directory: `$FERROKERAS_DATA_DIR`, else `<cache dir>/ferrokeras/datasets`.
///
/// ```
/// let dir = ferrokeras::utils::data_dir();
/// assert!(dir.is_absolute() || dir.starts_with("."));
/// ```
pub fn data_dir() -> PathBuf {
    match setting(|s| s.data_dir.clone()) {
        Some(d) => d,
        None => dirs::cache_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("ferrokeras")
            .join("datasets"),
    }
}

/// Whether downloads are switched off (`FERROKERAS_OFFLINE=1`).
pub fn offline() -> bool {
    setting(|s| s.offline)
}

/// Quick mode: the `n` of `FERROKERAS_SAMPLE=n`, when set to a positive number.
///
/// ```
/// use ferrokeras::runtime::{set_settings, settings, Settings};
/// set_settings(Settings { sample_limit: None, ..settings() });
/// assert_eq!(ferrokeras::utils::sample_limit(), None);
/// ```
pub fn sample_limit() -> Option<usize> {
    setting(|s| s.sample_limit)
}

/// The hint that goes with a missing file: where it comes from and how to point at a copy.
pub(crate) fn missing_hint(url: Option<&str>) -> String {
    let from = url
        .map(|u| format!("download it from {u} and "))
        .unwrap_or_default();
    let offline = if offline() {
        " (downloads are off because FERROKERAS_OFFLINE=1)"
    } else {
        ""
    };
    format!(
        "{from}put it there, or set FERROKERAS_DATA_DIR to a directory that holds it, or pass \
         the file's directory to the loader's `_from` variant{offline}"
    )
}

/// The candidate places for `file` of dataset `subdir`: in an explicit directory, only there;
/// else `<data_dir>/<subdir>/<file>` then `<data_dir>/<file>`.
pub(crate) fn candidates(dir: Option<&Path>, subdir: &str, file: &str) -> Vec<PathBuf> {
    match dir {
        Some(d) => vec![d.join(file), d.join(subdir).join(file)],
        None => {
            let root = data_dir();
            vec![root.join(subdir).join(file), root.join(file)]
        }
    }
}

/// The first existing candidate, or the `MissingFile` error naming the preferred one.
pub(crate) fn find_local(
    name: &str,
    dir: Option<&Path>,
    subdir: &str,
    file: &str,
    url: Option<&str>,
) -> Result<PathBuf> {
    let cands = candidates(dir, subdir, file);
    if let Some(p) = cands.iter().find(|p| p.is_file()) {
        return Ok(p.clone());
    }
    Err(Error::MissingFile {
        name: name.to_string(),
        path: cands[0].clone(),
        hint: Some(missing_hint(url)),
    })
}

/// Keeps at most `limit` items out of `n`, evenly spaced (so class-sorted data such as Iris
/// keeps every class). Returns the kept indices.
pub(crate) fn spread_indices(n: usize, limit: Option<usize>) -> Vec<i64> {
    match limit {
        Some(k) if k < n => (0..k).map(|i| (i * n / k) as i64).collect(),
        _ => (0..n as i64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_keeps_evenly_spaced_rows() {
        assert_eq!(spread_indices(10, Some(5)), vec![0, 2, 4, 6, 8]);
        assert_eq!(spread_indices(3, Some(5)), vec![0, 1, 2]);
        assert_eq!(spread_indices(3, None), vec![0, 1, 2]);
    }

    #[test]
    fn explicit_dir_is_searched_first() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt"), "x").unwrap();
        let p = find_local("A", Some(d.path()), "sub", "a.txt", None).unwrap();
        assert_eq!(p, d.path().join("a.txt"));
        let err = find_local("B", Some(d.path()), "sub", "b.txt", Some("http://x/b.txt"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
            "B: file not found (looked for {}); download it from http://x/b.txt and put it there",
            d.path().join("b.txt").display()
        )),
            "{err}"
        );
    }
}
