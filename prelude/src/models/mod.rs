//! Keras's `keras.models`: [`Sequential`], functional [`Model`]s, training, summaries,
//! saving, and model selection.

mod inference;
mod model;
mod saving;
mod selection;
mod sequential;
mod summary;
mod training;

pub use crate::sequential;
pub use inference::Evaluation;
pub use model::{LayerKey, Model};
pub use saving::load_model;
pub(crate) use saving::model_from_architecture;
pub use selection::{
    cross_val_score, CrossValScores, RandomizedSearch, SearchCandidate, SearchParams,
    SearchResults, SearchValue,
};
pub use sequential::{Sequential, SequentialItem};
pub use summary::{ModelSummary, SummaryRow};
pub use training::{Fit, Validation};
