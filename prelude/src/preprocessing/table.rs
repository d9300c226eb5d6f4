//! A small column table read from CSV: what `pd.read_csv` gives the course notebooks.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use tch::Tensor;

/// The values of one column: numbers when every non-empty cell parses as a number, else text.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// Numeric cells (empty cells are NaN).
    Float(Vec<f64>),
    /// Text cells (pandas's `object` columns).
    Text(Vec<String>),
}

/// One named column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    name: String,
    data: ColumnData,
}

impl Column {
    /// A numeric column.
    pub fn float(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Float(values),
        }
    }
    /// A text column.
    pub fn text(name: impl Into<String>, values: Vec<String>) -> Self {
        Self {
            name: name.into(),
            data: ColumnData::Text(values),
        }
    }
    /// Parses text cells, making the column numeric when every non-empty cell is a number.
    pub fn infer(name: impl Into<String>, cells: Vec<String>) -> Self {
        let parsed: Option<Vec<f64>> = cells
            .iter()
            .map(|c| {
                let c = c.trim();
                if c.is_empty() {
                    Some(f64::NAN)
                } else {
                    c.parse::<f64>().ok()
                }
            })
            .collect();
        match parsed {
            Some(v) if cells.iter().any(|c| !c.trim().is_empty()) => Self::float(name, v),
            _ => Self::text(name, cells),
        }
    }
    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The values.
    pub fn data(&self) -> &ColumnData {
        &self.data
    }
    /// The number of rows.
    pub fn len(&self) -> usize {
        match &self.data {
            ColumnData::Float(v) => v.len(),
            ColumnData::Text(v) => v.len(),
        }
    }
    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Whether the column holds numbers.
    pub fn is_numeric(&self) -> bool {
        matches!(self.data, ColumnData::Float(_))
    }
    /// Numeric values, if the column is numeric.
    pub fn as_f64(&self) -> Option<&[f64]> {
        match &self.data {
            ColumnData::Float(v) => Some(v),
            ColumnData::Text(_) => None,
        }
    }
    /// Text values, if the column holds text.
    pub fn as_str(&self) -> Option<&[String]> {
        match &self.data {
            ColumnData::Text(v) => Some(v),
            ColumnData::Float(_) => None,
        }
    }
    /// Cell `i` as text (numbers formatted as pandas shows them), if there is such a row.
    pub fn get(&self, i: usize) -> Option<String> {
        (i < self.len()).then(|| self.cell(i))
    }

    pub(crate) fn cell(&self, i: usize) -> String {
        match &self.data {
            ColumnData::Float(v) => format_number(v[i]),
            ColumnData::Text(v) => v[i].clone(),
        }
    }
    /// Every cell as text.
    pub fn strings(&self) -> Vec<String> {
        (0..self.len()).map(|i| self.cell(i)).collect()
    }
    /// The distinct values in order of first appearance (pandas's `Series.unique()`).
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let c = Column::text("class", vec!["b".into(), "a".into(), "b".into()]);
    /// assert_eq!(c.unique(), vec!["b", "a"]);
    /// ```
    pub fn unique(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        self.strings()
            .into_iter()
            .filter(|s| seen.insert(s.clone()))
            .collect()
    }
    /// `(value, count)` pairs, most frequent first (pandas's `value_counts()`).
    pub fn value_counts(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        let mut pos: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for s in self.strings() {
            match pos.get(&s) {
                Some(&i) => counts[i].1 += 1,
                None => {
                    pos.insert(s.clone(), counts.len());
                    counts.push((s, 1));
                }
            }
        }
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        counts
    }
    /// A numeric column as a `(N,)` `Kind::Float` tensor.
    pub fn to_tensor(&self) -> Result<Tensor> {
        match &self.data {
            ColumnData::Float(v) => {
                let v: Vec<f32> = v.iter().map(|&x| x as f32).collect();
                Ok(Tensor::from_slice(&v))
            }
            ColumnData::Text(_) => Err(not_numeric(&self.name)),
        }
    }
    fn take(&self, rows: &[usize]) -> Column {
        let data = match &self.data {
            ColumnData::Float(v) => ColumnData::Float(rows.iter().map(|&i| v[i]).collect()),
            ColumnData::Text(v) => ColumnData::Text(rows.iter().map(|&i| v[i].clone()).collect()),
        };
        Column {
            name: self.name.clone(),
            data,
        }
    }
}

fn not_numeric(name: &str) -> Error {
    Error::InvalidData(format!(
        "column '{name}' holds text; one-hot encode it with get_dummies() or turn it into \
         class indices with LabelEncoder first"
    ))
}

/// Formats a number as pandas prints it: integers without decimals.
pub(crate) fn format_number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').to_string()
    }
}

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

/// A table of named columns of equal length (a small `pandas.DataFrame`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
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
    /// A table from columns; they must all have the same length.
    pub fn from_columns(columns: Vec<Column>) -> Result<Self> {
        if let Some(first) = columns.first() {
            if let Some(bad) = columns.iter().find(|c| c.len() != first.len()) {
                return Err(Error::InvalidData(format!(
                    "column '{}' has {} rows but column '{}' has {}",
                    bad.name,
                    bad.len(),
                    first.name,
                    first.len()
                )));
            }
        }
        Ok(Self { columns })
    }

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
            .map(|(name, data)| Column { name, data })
            .collect();
        Table::from_columns(columns)
    }

    /// Number of rows (`len(df)`).
    pub fn len(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }
    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// `(rows, columns)`, as pandas's `shape`.
    pub fn shape(&self) -> (usize, usize) {
        (self.len(), self.columns.len())
    }
    /// The columns.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }
    /// The column names.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
    /// The column called `name` (`df['name']`).
    pub fn col(&self, name: &str) -> Result<&Column> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| self.no_column(name))
    }
    fn no_column(&self, name: &str) -> Error {
        Error::InvalidArgument(format!(
            "no column '{name}'; columns are: {}",
            self.column_names().join(", ")
        ))
    }
    /// The first `n` rows (`df.head()` is `head(5)`); shows as an HTML table in the notebook.
    pub fn head(&self, n: usize) -> Table {
        self.rows_unchecked(&(0..n.min(self.len())).collect::<Vec<_>>())
    }
    /// The rows at `rows`, in that order (`df.iloc[rows]`).
    pub fn take_rows(&self, rows: &[usize]) -> Result<Table> {
        if let Some(bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(Error::InvalidArgument(format!(
                "row {bad} is out of range for a table of {} rows",
                self.len()
            )));
        }
        Ok(self.rows_unchecked(rows))
    }
    pub(crate) fn rows_unchecked(&self, rows: &[usize]) -> Table {
        Table {
            columns: self.columns.iter().map(|c| c.take(rows)).collect(),
        }
    }
    /// The table without the named columns (`df.drop(cols, axis=1)`).
    pub fn drop(&self, names: &[&str]) -> Result<Table> {
        for n in names {
            self.col(n)?;
        }
        Ok(Table {
            columns: self
                .columns
                .iter()
                .filter(|c| !names.contains(&c.name.as_str()))
                .cloned()
                .collect(),
        })
    }
    /// Only the named columns, in that order (`df[cols]`).
    pub fn select(&self, names: &[&str]) -> Result<Table> {
        Ok(Table {
            columns: names
                .iter()
                .map(|n| self.col(n).cloned())
                .collect::<Result<_>>()?,
        })
    }
    /// All columns as a `(rows, columns)` `Kind::Float` tensor (`df.values`); every column
    /// must be numeric.
    pub fn to_tensor(&self) -> Result<Tensor> {
        if self.columns.is_empty() {
            return Err(Error::InvalidData("the table has no columns".into()));
        }
        let cols = self
            .columns
            .iter()
            .map(Column::to_tensor)
            .collect::<Result<Vec<_>>>()?;
        Ok(Tensor::stack(&cols, 1))
    }
}

/// One-hot encodes every text column (pandas's `pd.get_dummies(df)`): numeric columns come
/// first unchanged, then one `0/1` column named `<column>_<value>` per distinct value, values
/// sorted, for each text column in order. UCI car evaluation's six features give 21 columns.
pub fn get_dummies(table: &Table) -> Result<Table> {
    let mut out: Vec<Column> = table
        .columns
        .iter()
        .filter(|c| c.is_numeric())
        .cloned()
        .collect();
    for c in table.columns.iter().filter(|c| !c.is_numeric()) {
        let values = c.as_str().unwrap_or_default();
        let mut cats = c.unique();
        cats.sort();
        for cat in cats {
            let v = values
                .iter()
                .map(|s| if *s == cat { 1.0 } else { 0.0 })
                .collect();
            out.push(Column::float(format!("{}_{cat}", c.name), v));
        }
    }
    Table::from_columns(out)
}
