//! [`Lookup`]: an Embedding's output before it is made — the table and the ids that pick
//! its rows — so that the layer reading it can work from the table instead (an LSTM projects
//! the table's rows once instead of every token's; see `LayerKind::forward_from_table`).

use tch::Tensor;

/// Rows of `table` picked by integer `ids`: `table (vocabulary, features)`, `ids` of any shape
/// (int64); the rows are `ids.shape + (features,)`.
pub struct Lookup {
    /// `(vocabulary, features)`.
    pub table: Tensor,
    /// Int64 ids into the table's first axis.
    pub ids: Tensor,
}

impl Lookup {
    /// The looked-up rows, `ids.shape + (features,)`.
    pub fn rows(&self) -> Tensor {
        Tensor::embedding(&self.table, &self.ids, -1, false, false)
    }
}
