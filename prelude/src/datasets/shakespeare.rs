//! The tiny Shakespeare text (Karpathy's char-rnn `input.txt`, TensorFlow's
//! `shakespeare.txt`): 1,115,394 characters, 65 distinct.

use crate::error::{Error, Result};
use crate::utils::get_file::fetch;
use crate::utils::sample_limit;
use std::path::Path;

const URL: &str = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt";
const SHA: &str = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";

/// The whole text. In quick mode (`FERROKERAS_SAMPLE=n`) only the first `3n + 40`
/// characters, which give about `n` windows of 40 characters at step 3.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let text = load_shakespeare()?.to_lowercase();
/// let text: String = text.chars().take(100_000).collect();
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn load_shakespeare() -> Result<String> {
    shakespeare(None)
}

/// [`load_shakespeare`] from `input.txt` (or `shakespeare.txt`) in `dir`.
pub fn load_shakespeare_from(dir: impl AsRef<Path>) -> Result<String> {
    shakespeare(Some(dir.as_ref()))
}

fn shakespeare(dir: Option<&Path>) -> Result<String> {
    let path = match fetch(
        "tiny Shakespeare text",
        dir,
        "tiny_shakespeare",
        "input.txt",
        URL,
        Some(SHA),
    ) {
        Ok(p) => p,
        Err(e) => match crate::utils::data_dir::find_local(
            "tiny Shakespeare text",
            dir,
            "tiny_shakespeare",
            "shakespeare.txt",
            Some(URL),
        ) {
            Ok(p) => p,
            Err(_) => return Err(e),
        },
    };
    let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let text = String::from_utf8(bytes).map_err(|e| Error::CorruptFile {
        path: path.clone(),
        expected: format!("expected UTF-8 text: {e}"),
    })?;
    Ok(match sample_limit() {
        Some(n) => text.chars().take(3 * n + 40).collect(),
        None => text,
    })
}
