//! Keras's `keras.models`: [`Sequential`], functional [`Model`]s (graphs of any number of
//! inputs and outputs), summaries and saving. Training is in the `trainers` module.
//!
//! The whole workflow of a course notebook, in Rust:
//!
//! ```
//! use ferrokeras::prelude::*;
//! # fn main() -> ferrokeras::Result<()> {
//! set_random_seed(0);
//! let x = Tensor::rand([64, 4], (Kind::Float, Device::Cpu));
//! let y = x.sum_dim_intlist(1, false, Kind::Float).gt(2.0).to_kind(Kind::Int64);
//!
//! let model = Sequential::new()
//!     .add(Input::new([4]))
//!     .add(Dense::new(16).activation("relu"))
//!     .add(Dropout::new(0.1))
//!     .add(Dense::new(2).activation("softmax"));
//! model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])?;
//! let summary = model.summary(); // a cell ending in `model.summary()` shows Keras's table
//! assert_eq!(summary.total_params, 4 * 16 + 16 + 16 * 2 + 2);
//!
//! let history = model.fit(&x, &y, Fit { epochs: 3, validation_split: 0.25, verbose: 0, ..Default::default() })?;
//! assert_eq!(history["val_accuracy"].len(), 3);
//! let ev = model.evaluate(&x, &y, Evaluate { verbose: 0, ..Default::default() })?;
//! let [loss, acc] = ev.to_vec()[..] else { unreachable!() };
//! assert!(loss > 0.0 && acc <= 1.0);
//! let probs = model.predict(&x, Predict::default())?; // (64, 2), on the CPU
//! assert_eq!(probs.size(), vec![64, 2]);
//!
//! // Inner activations and a sub-model from an inner layer's output.
//! let first = Model::new(&model.input()?, &model.layers()[0].output()?)?;
//! assert_eq!(first.predict(&x, Predict::default())?.size(), vec![64, 16]);
//! assert_eq!(model.activations(&x)?.len(), 3);
//!
//! // Saving: weights only, or the whole model.
//! let dir = tempfile::tempdir()?;
//! model.save(dir.path().join("model.safetensors"))?;
//! let again = load_model(dir.path().join("model.safetensors"))?;
//! assert!(again.predict(&x, Predict::default())?.equal(&probs));
//! # Ok(())
//! # }
//! ```

mod compiled;
mod deserialize;
mod graph;
mod h5_writer;
mod hdf5_file;
mod keras_archive;
mod keras_compile;
mod keras_config;
mod keras_config_write;
mod keras_weights_h5;
mod legacy_h5;
mod model;
mod nested;
mod optimizer_vars;
mod plan;
mod registry;
mod saving;
mod sequential;
mod summary;
mod training_state;
mod weight_copies;

pub use crate::sequential;
pub(crate) use compiled::Compiled;
pub use deserialize::layer_from_keras_config;
pub use model::{KerasTensors, LayerKey, Model, ModelCallArg};
pub(crate) use plan::Plan;
pub use saving::{load_model, model_from_json};
pub use sequential::{Sequential, SequentialItem};
pub use summary::{ModelSummary, SummaryRow};
