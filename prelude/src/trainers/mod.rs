//! Training, apart from the model as Keras keeps `trainers/` apart from `models/`:
//! `compile`, `fit`, `evaluate`, `predict` and `train_on_batch` for every [`Model`]
//! (`crate::models::Model`), the epoch loop and its logs.
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
//! let ev = model.evaluate_with(&x, &y, 32, 0)?;
//! assert!(ev.loss() > 0.0 && ev["accuracy"] <= 1.0);
//! assert_eq!(model.predict(&x)?.size(), vec![64, 2]);
//! # Ok(())
//! # }
//! ```

mod compile;
mod epoch_loop;
mod evaluate;
mod fit;
mod logs;
mod objective;
mod predict;
mod sample_weights;
mod settings;
mod train_step;

pub use evaluate::{Evaluate, Evaluation};
pub use fit::{Fit, Validation};
pub use predict::Predict;
pub use settings::capped_epochs;
pub use train_step::{StepContext, TrainStep};
