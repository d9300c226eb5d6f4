//! Keras's `Permute` layer.

use super::config::field;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Permute`: reorders the axes of each example (the batch axis stays first).
///
/// Argument: `dims`, a permutation of `1..=n` counting from the first axis after the batch
/// (as Keras). Input `(batch, d1, …, dn)` → `(batch, d[dims[0]], …, d[dims[n-1]])`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::zeros([2, 3, 5], (Kind::Float, Device::Cpu));
/// assert_eq!(Permute::new([2, 1]).call(&x).unwrap().size(), vec![2, 5, 3]);
/// ```
pub struct Permute {
    pub(crate) opts: LayerOpts,
    dims: Vec<i64>,
}
layer_builder!(Permute);

impl Permute {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let dims: Vec<i64> = field("Permute", c, "dims")?;
        Ok(Permute::new(dims))
    }
}

impl Permute {
    /// Reorders the axes by `dims` (1-based: `[2, 1]` swaps the two axes after the batch).
    pub fn new(dims: impl AsRef<[i64]>) -> Self {
        Permute {
            opts: LayerOpts::default(),
            dims: dims.as_ref().to_vec(),
        }
    }
}

impl LayerKind for Permute {
    fn class_name(&self) -> &'static str {
        "Permute"
    }
    fn default_name(&self) -> &'static str {
        "permute"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let n = self.dims.len() as i64;
        let mut sorted = self.dims.clone();
        sorted.sort_unstable();
        if sorted != (1..=n).collect::<Vec<_>>() {
            return Err(Error::InvalidArgument(format!(
                "{label}: dims must be a permutation of 1..={n}, got {:?}",
                self.dims
            )));
        }
        if input.len() as i64 != n {
            return Err(layer_shape_err(
                label,
                format!(
                    "{} dimensions (batch and the {n} axes of dims {:?})",
                    n + 1,
                    self.dims
                ),
                input,
            ));
        }
        Ok(self.dims.iter().map(|&d| input[d as usize - 1]).collect())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let mut order = vec![0];
        order.extend_from_slice(&self.dims);
        x.permute(order.as_slice())
    }
    fn config(&self) -> Value {
        json!({"dims": self.dims})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Keras 3.15: `Permute((2,1))` on arange(15) reshaped (1, 3, 5).
    #[test]
    fn matches_keras() {
        let x = Tensor::arange(15, (Kind::Float, Device::Cpu)).view([1, 3, 5]);
        let y = Permute::new([2, 1]).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 5, 3]);
        assert_eq!(
            Vec::<f32>::try_from(y.reshape([-1])).unwrap(),
            vec![0., 5., 10., 1., 6., 11., 2., 7., 12., 3., 8., 13., 4., 9., 14.]
        );
    }

    /// Keras: (None, 3, 5) → (None, 5, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = Permute::new([2, 1]).into();
        assert_eq!(l.build(&[3, 5], Device::Cpu).unwrap(), vec![5, 3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(c, serde_json::json!({"dims": [2, 1]}));
        assert_eq!(super::Permute::from_config(&c).unwrap().config(), c);
        let bad = Permute::new([0, 1]).call(&Tensor::zeros([1, 3, 5], (Kind::Float, Device::Cpu)));
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("permutation of 1..=2"));
    }

    #[test]
    fn wrong_rank_names_layer_and_shapes() {
        let err = Permute::new([2, 1])
            .name("p")
            .call(&Tensor::zeros([1, 2, 3, 4], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Permute 'p' expects 3 dimensions (batch and the 2 axes of dims [2, 1]), got input of shape (None, 2, 3, 4)"
        );
    }
}
