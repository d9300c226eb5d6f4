//! `CSVLogger`: each epoch's logs as a row of a CSV file.

use super::{Callback, EpochLogs};
use crate::error::{Error, Result};
use crate::models::Model;
use crate::utils::atomic_file::write_atomic;
use std::path::PathBuf;

/// Keras's `CSVLogger(filename, separator=",", append=False)`: after each epoch, a row
/// `epoch,<logs in alphabetical order>` (epoch 0-based, a header first), written as Keras's
/// `csv` module writes it (rows end in `\r\n`, a missing value is `NA`).
///
/// Each epoch the whole file is written again atomically (a temporary file renamed over it),
/// so a crash or an interrupt never leaves half a row: the file has every finished epoch.
///
/// ```
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("training.log");
/// let x = Tensor::rand([8, 2], (Kind::Float, Device::Cpu));
/// let model = Sequential::new().add(Input::new([2])).add(Dense::new(2));
/// model.compile("sgd", "mse", ["mae"])?;
/// model.fit(&x, &x, Fit { epochs: 2, verbose: 0, ..Default::default() }.callback(CSVLogger::new(&path)))?;
/// let text = std::fs::read_to_string(&path)?;
/// assert!(text.starts_with("epoch,loss,mae\r\n0,"));
/// assert_eq!(text.lines().count(), 3);
/// # Ok(())
/// # }
/// ```
pub struct CSVLogger {
    /// The file written.
    pub filename: PathBuf,
    /// Between values (`,`).
    pub separator: String,
    /// Add to an existing file (its header kept) rather than starting a new one.
    pub append: bool,
    keys: Option<Vec<String>>,
    /// The file's contents so far, written whole each epoch.
    text: String,
    write_header: bool,
}

impl CSVLogger {
    /// Logs to `filename`, separated by commas, starting a new file.
    pub fn new(filename: impl Into<PathBuf>) -> Self {
        CSVLogger {
            filename: filename.into(),
            separator: ",".into(),
            append: false,
            keys: None,
            text: String::new(),
            write_header: true,
        }
    }
    /// The separator between values.
    pub fn separator(mut self, sep: &str) -> Self {
        self.separator = sep.to_string();
        self
    }
    /// Append to an existing file.
    pub fn append(mut self, yes: bool) -> Self {
        self.append = yes;
        self
    }

    fn row(&self, fields: impl Iterator<Item = String>) -> String {
        let mut line = fields.collect::<Vec<_>>().join(&self.separator);
        line.push_str("\r\n");
        line
    }
}

impl Callback for CSVLogger {
    fn on_train_begin(&mut self, _model: &Model) -> Result<()> {
        self.keys = None;
        self.text.clear();
        self.write_header = true;
        if self.append {
            match std::fs::read_to_string(&self.filename) {
                Ok(old) => {
                    // As Keras: a header only when the file is empty.
                    self.write_header = old.lines().next().is_none_or(str::is_empty);
                    self.text = old;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&self.filename, e)),
            }
        }
        // Keras opens the file (emptying it unless appending) when training begins.
        write_atomic(&self.filename, self.text.as_bytes())
    }

    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, _model: &Model) -> Result<()> {
        if self.keys.is_none() {
            // EpochLogs is ordered by name: Keras's `sorted(logs.keys())`.
            let keys: Vec<String> = logs.keys().cloned().collect();
            if self.write_header {
                let header = self.row(std::iter::once("epoch".to_string()).chain(keys.clone()));
                self.text.push_str(&header);
            }
            self.keys = Some(keys);
        }
        let keys = self.keys.as_ref().expect("set above");
        let values = keys
            .iter()
            .map(|k| logs.get(k).map_or("NA".to_string(), |v| python_float(*v)));
        let row = self.row(std::iter::once(epoch.to_string()).chain(values));
        self.text.push_str(&row);
        write_atomic(&self.filename, self.text.as_bytes())
    }
}

/// A float as Python's `str` writes it (`0.5`, `1e-05`, `nan`, `inf`), which Keras's rows
/// hold.
fn python_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let exp = if v == 0.0 {
        0
    } else {
        v.abs().log10().floor() as i32
    };
    if (-4..16).contains(&exp) {
        let s = format!("{v}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Python: shortest digits, then e-05 / e+16.
        let s = format!("{v:e}");
        let (mantissa, e) = s.split_once('e').expect("exponent form");
        let e: i32 = e.parse().expect("an integer exponent");
        let sign = if e < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", e.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::python_float;

    #[test]
    fn floats_as_python_writes_them() {
        for (v, want) in [
            (0.5, "0.5"),
            (1.0, "1.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1.5e16, "1.5e+16"),
            (123.25, "123.25"),
            (0.0, "0.0"),
        ] {
            assert_eq!(python_float(v), want);
        }
    }
}
