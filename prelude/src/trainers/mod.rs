//! Training, apart from the model as Keras keeps `trainers/` apart from `models/`:
//! `compile`, `fit`, `evaluate`, `predict` and `train_on_batch` for every [`Model`]
//! (`crate::models::Model`), the epoch loop and its logs.
//!
//! One spelling for each call, as Keras has: `model.fit(x, y, Fit { .. })`,
//! `model.evaluate(x, y, Evaluate { .. })`, `model.predict(x, Predict { .. })`, where `x`
//! is tensors (with their targets `y`) or a dataset (with `y` `None`), and the options are
//! Keras's keyword arguments by name, with Keras's defaults.
//!
//! Imports go one way: `trainers` uses `models` (and `callbacks`, which use `models`);
//! `models` and `layers` never use `trainers`.
//!
//! ```
//! use ferrokeras::prelude::*;
//! # fn main() -> ferrokeras::Result<()> {
//! set_random_seed(0);
//! let x = Tensor::rand([64, 4], (Kind::Float, Device::Cpu));
//! let y = x.sum_dim_intlist(1, false, Kind::Float).gt(2.0).to_kind(Kind::Int64);
//! let model = Sequential::new()
//!     .add(Input::new([4]))
//!     .add(Dense::new(16).activation("relu"))
//!     .add(Dense::new(2).activation("softmax"));
//! model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])?;
//! let history = model.fit(&x, &y, Fit { epochs: 3, validation_split: 0.25, verbose: 0, ..Default::default() })?;
//! assert_eq!(history["val_accuracy"].len(), 3);
//! let ev = model.evaluate(&x, &y, Evaluate { verbose: 0, ..Default::default() })?;
//! assert!(ev.loss() > 0.0 && ev["accuracy"] <= 1.0);
//! assert_eq!(model.predict(&x, Predict::default())?.size(), vec![64, 2]);
//!
//! // The same calls on a dataset: its batches hold the targets, so y is None.
//! let ds = Dataset::from_tensor_slices(&x, &y)?.batch(16);
//! model.fit(&ds, None, Fit { epochs: 2, validation_data: Some((&ds).into()), verbose: 0, ..Default::default() })?;
//! let on_ds = model.evaluate(&ds, None, Evaluate { verbose: 0, ..Default::default() })?;
//! assert_eq!(model.predict(&ds, Predict::default())?.size(), vec![64, 2]);
//! assert!(on_ds.loss() > 0.0);
//! # Ok(())
//! # }
//! ```

mod compile;
mod data;
mod epoch_iterator;
mod epoch_loop;
mod evaluate;
mod fit;
mod logs;
mod objective;
mod predict;
mod result_line;
mod sample_weights;
mod settings;
mod test_loop;
mod train_step;

pub use data::{Inputs, Targets, Validation};
pub use evaluate::{Evaluate, Evaluation};
pub use fit::Fit;
pub use predict::Predict;
pub use settings::capped_epochs;
pub use train_step::{StepContext, TrainStep};
