//! # ferrokeras
//!
//! Keras-style deep learning on libtorch (`tch`), made for Rust notebooks: the prelude the
//! ferrokeras Jupyter kernel loads before the first cell. A cell starts with
//! `use ferrokeras::prelude::*;` already in scope.
//!
//! Modules are cut and named as Keras names things, so a Keras user finds them where they
//! expect: `layers`, `models`, `optimizers`, `losses`, `metrics`, `callbacks`, `datasets`,
//! `preprocessing`, `utils`, and `plot` for the pictures.

pub mod data_adapter;
pub mod error;
pub mod runtime;

pub mod activations;
pub mod applications;
pub mod autograd;
pub mod backend;
pub mod callbacks;
pub mod initializers;
pub mod layers;
pub mod losses;
pub mod metrics;
pub mod model_selection;
pub mod models;
pub mod optimizers;
pub mod trainers;

pub mod datasets;
pub mod preprocessing;
pub mod utils;

pub mod plot;

pub mod prelude;

pub use error::{Error, Result};
pub use runtime::{check_interrupt, interrupted};
/// libtorch's tensors, autograd and `nn`, for the low-level cells.
pub use tch;
