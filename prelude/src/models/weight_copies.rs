//! Weights read from a file, checked against a model's layers before any is written: a
//! file that does not fit leaves the model as it was.

use crate::error::{Error, Result};
use crate::layers::{Layer, Weight};
use std::path::{Path, PathBuf};
use tch::Tensor;

/// The copies a weights loader has checked, written all at once by [`WeightCopies::apply`].
pub(crate) struct WeightCopies {
    path: PathBuf,
    pairs: Vec<(Tensor, Tensor)>,
}

impl WeightCopies {
    pub fn new(path: &Path) -> WeightCopies {
        WeightCopies {
            path: path.to_path_buf(),
            pairs: Vec::new(),
        }
    }

    /// The error for a file that does not match the model.
    pub fn mismatch(&self, detail: String) -> Error {
        Error::WeightsMismatch {
            path: self.path.clone(),
            detail,
        }
    }

    /// Queues `values` (Keras layout, Keras order) for `layer`, checking their number and
    /// each shape. `source` says where in the file they come from, for the error.
    pub fn add(&mut self, layer: &Layer, source: &str, values: Vec<Tensor>) -> Result<()> {
        self.add_weights(layer, layer.named_weights(), source, values)
    }

    /// [`WeightCopies::add`] with the layer's weights in the order the file has them.
    pub fn add_weights(
        &mut self,
        layer: &Layer,
        weights: Vec<Weight>,
        source: &str,
        values: Vec<Tensor>,
    ) -> Result<()> {
        if weights.len() != values.len() {
            let names: Vec<&str> = weights.iter().map(|w| w.name).collect();
            return Err(self.mismatch(format!(
                "layer {} has {} weights ({}), the file has {} at '{source}'",
                layer.label(),
                weights.len(),
                names.join(", "),
                values.len()
            )));
        }
        for (w, v) in weights.into_iter().zip(values) {
            if w.value.size() != v.size() {
                return Err(self.mismatch(format!(
                    "layer {} weight '{}' has shape {:?}, the file has {:?} at '{source}'",
                    layer.label(),
                    w.name,
                    w.value.size(),
                    v.size()
                )));
            }
            self.pairs.push((w.value, v));
        }
        Ok(())
    }

    /// Writes every queued value into its weight (in place: the layers' own storage).
    pub fn apply(self) {
        tch::no_grad(|| {
            for (dst, v) in self.pairs {
                let mut dst = dst;
                dst.copy_(&v.to_device(dst.device()).to_kind(dst.kind()));
            }
        });
    }
}
