//! Reading CSV files into a [`Table`] (`pd.read_csv`), with the `csv` crate.

use super::table::{Column, ColumnData, Table};
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// How to read a CSV file ([`read_csv`]).
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Whether the first row holds the column names. `None` (default): yes, unless `names`
    /// is given (as `pd.read_csv(..., names=columns)`).
    pub header: Option<bool>,
    /// Column names to use.
    pub names: Option<Vec<String>>,
    /// The field separator.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            header: None,
            names: None,
            delimiter: b',',
        }
    }
}

impl CsvOptions {
    /// Options for a file without a header row, with these column names.
    pub fn names(names: &[&str]) -> Self {
        Self {
            names: Some(names.iter().map(|s| s.to_string()).collect()),
            ..Self::default()
        }
    }
}

/// Reads a CSV file (or a URL, downloaded once into the cache with [`crate::utils::get_file`])
/// into a [`Table`], as `pd.read_csv(path, names=columns)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("cars.csv");
/// std::fs::write(&path, "vhigh,2,unacc\nlow,4,good\n").unwrap();
/// let cars = read_csv(&path, CsvOptions::names(&["buying", "doors", "class"]))?;
/// assert_eq!(cars.shape(), (2, 3));
/// assert_eq!(cars.col("class")?.unique(), vec!["unacc", "good"]);
/// let x = get_dummies(&cars.drop(&["class"])?)?.to_tensor()?;
/// assert_eq!(x.size(), vec![2, 3]); // doors stays numeric, buying gives 2 columns
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn read_csv(path: impl AsRef<Path>, options: CsvOptions) -> Result<Table> {
    let p = path.as_ref();
    let s = p.to_string_lossy();
    let local: PathBuf = if s.starts_with("http://") || s.starts_with("https://") {
        let url = s.to_string();
        let fname = url
            .rsplit('/')
            .next()
            .filter(|f| !f.is_empty())
            .unwrap_or("download.csv");
        crate::utils::get_file(fname, &url, None)?
    } else {
        if !p.is_file() {
            return Err(Error::MissingFile {
                name: "CSV file".into(),
                path: p.to_path_buf(),
                hint: None,
            });
        }
        p.to_path_buf()
    };
    let bytes = std::fs::read(&local).map_err(|e| Error::io(&local, e))?;
    Table::from_csv_bytes(&bytes, &options).map_err(|e| match e {
        Error::CorruptFile { expected, .. } => Error::CorruptFile {
            path: local.clone(),
            expected,
        },
        other => other,
    })
}

impl Table {
    /// Parses CSV text (see [`read_csv`]).
    pub fn from_csv_bytes(bytes: &[u8], options: &CsvOptions) -> Result<Self> {
        // Two passes over the bytes: the first finds the header, the width and which
        // columns are numeric; the second fills numbers straight into `f64` columns, so a
        // large numeric CSV (Sign Language MNIST: 27,455 × 785) never holds strings.
        let has_header = options.header.unwrap_or(options.names.is_none());
        let corrupt = |expected: String| Error::CorruptFile {
            path: PathBuf::new(),
            expected,
        };
        let reader = || {
            csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(options.delimiter)
                .flexible(true)
                .from_reader(bytes)
        };
        let blank = |r: &csv::ByteRecord| r.len() == 1 && r[0].iter().all(u8::is_ascii_whitespace);
        let line = |r: &csv::ByteRecord| r.position().map_or(0, |p| p.line());
        let cell = |r: &csv::ByteRecord, j: usize| -> Result<String> {
            std::str::from_utf8(&r[j])
                .map(str::to_string)
                .map_err(|_| corrupt(format!("expected UTF-8 text, line {}", line(r))))
        };
        let mut header: Option<Vec<String>> = None;
        let mut width = options.names.as_ref().map(Vec::len);
        let (mut numeric, mut nonempty) = (Vec::new(), Vec::new());
        let mut n_rows = 0usize;
        let mut rec = csv::ByteRecord::new();
        let mut rdr = reader();
        loop {
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(corrupt(format!("expected CSV: {e}"))),
            }
            if blank(&rec) {
                continue; // blank line (Iris ends with one)
            }
            if has_header && header.is_none() {
                header = Some(
                    (0..rec.len())
                        .map(|j| cell(&rec, j).map(|s| s.trim().to_string()))
                        .collect::<Result<_>>()?,
                );
                width = width.or(Some(rec.len()));
                continue;
            }
            let w = *width.get_or_insert(rec.len());
            if rec.len() != w {
                return Err(corrupt(format!(
                    "expected {w} fields in every row, found {} on line {}",
                    rec.len(),
                    line(&rec)
                )));
            }
            if numeric.is_empty() {
                numeric = vec![true; w];
                nonempty = vec![false; w];
            }
            for j in 0..w {
                let field = std::str::from_utf8(&rec[j]).unwrap_or("\u{0}").trim();
                if !field.is_empty() {
                    nonempty[j] = true;
                    if numeric[j] && field.parse::<f64>().is_err() {
                        numeric[j] = false;
                    }
                }
            }
            n_rows += 1;
        }
        let width = width.unwrap_or(0);
        let mut data: Vec<ColumnData> = (0..width)
            .map(|j| {
                if numeric.get(j).copied().unwrap_or(false) && nonempty[j] {
                    ColumnData::Float(Vec::with_capacity(n_rows))
                } else {
                    ColumnData::Text(Vec::with_capacity(n_rows))
                }
            })
            .collect();
        let mut rdr = reader();
        let mut skip_header = has_header;
        while rdr
            .read_byte_record(&mut rec)
            .map_err(|e| corrupt(format!("expected CSV: {e}")))?
        {
            if blank(&rec) {
                continue;
            }
            if skip_header {
                skip_header = false;
                continue;
            }
            for (j, col) in data.iter_mut().enumerate() {
                match col {
                    ColumnData::Float(v) => {
                        let f = std::str::from_utf8(&rec[j]).unwrap_or("").trim();
                        v.push(if f.is_empty() {
                            f64::NAN
                        } else {
                            f.parse().unwrap_or(f64::NAN)
                        });
                    }
                    ColumnData::Text(v) => v.push(cell(&rec, j)?),
                }
            }
        }
        let names: Vec<String> = match (&options.names, header) {
            (Some(n), _) => n.clone(),
            (None, Some(h)) => h,
            (None, None) => (0..width).map(|i| i.to_string()).collect(),
        };
        let columns = names
            .into_iter()
            .zip(data)
            .map(|(name, data)| match data {
                ColumnData::Float(v) => Column::float(name, v),
                ColumnData::Text(v) => Column::text(name, v),
            })
            .collect();
        Table::from_columns(columns)
    }
}
