//! A small column table read from CSV: what `pd.read_csv` gives the course notebooks.

use crate::error::{Error, Result};
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

/// A table of named columns of equal length (a small `pandas.DataFrame`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    columns: Vec<Column>,
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
