//! Keras's `RepeatVector` layer.

use super::config::field;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `RepeatVector`: repeats each input vector `n` times (e.g. to feed a decoder LSTM).
///
/// Argument: `n`, the number of repetitions.
/// Input `(batch, features)` → `(batch, n, features)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::zeros([2, 6], (Kind::Float, Device::Cpu));
/// assert_eq!(RepeatVector::new(4).call(&x).unwrap().size(), vec![2, 4, 6]);
/// ```
pub struct RepeatVector {
    pub(crate) opts: LayerOpts,
    n: i64,
}
layer_builder!(RepeatVector);

impl RepeatVector {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(RepeatVector::new(field("RepeatVector", c, "n")?))
    }
}

impl RepeatVector {
    /// Repeats the input `n` times.
    pub fn new(n: i64) -> Self {
        RepeatVector {
            opts: LayerOpts::default(),
            n,
        }
    }
}

impl LayerKind for RepeatVector {
    fn class_name(&self) -> &'static str {
        "RepeatVector"
    }
    fn default_name(&self) -> &'static str {
        "repeat_vector"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        if self.n < 1 {
            return Err(Error::InvalidArgument(format!(
                "{label}: n must be positive, got {}",
                self.n
            )));
        }
        match *input {
            [features] => Ok(vec![self.n, features]),
            _ => Err(layer_shape_err(
                label,
                "2 dimensions (batch, features)",
                input,
            )),
        }
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        // A real copy rather than an `expand` view, so later layers may `view` it.
        x.unsqueeze(1).repeat([1, self.n, 1])
    }
    fn config(&self) -> Value {
        json!({"n": self.n})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Keras 3.15: `RepeatVector(3)` on arange(8) reshaped (2, 4).
    #[test]
    fn matches_keras() {
        let x = Tensor::arange(8, (Kind::Float, Device::Cpu)).view([2, 4]);
        let y = RepeatVector::new(3).call(&x).unwrap();
        assert_eq!(y.size(), vec![2, 3, 4]);
        let a = [0f32, 1., 2., 3.];
        let b = [4f32, 5., 6., 7.];
        assert_eq!(
            Vec::<f32>::try_from(y.reshape([-1])).unwrap(),
            [a, a, a, b, b, b].concat()
        );
    }

    /// Keras: `RepeatVector(4)` takes (None, 6) to (None, 4, 6), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = RepeatVector::new(4).into();
        assert_eq!(l.build(&[6], Device::Cpu).unwrap(), vec![4, 6]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(c, serde_json::json!({"n": 4}));
        assert_eq!(super::RepeatVector::from_config(&c).unwrap().config(), c);
    }

    #[test]
    fn wrong_rank_names_layer_and_shapes() {
        let err = RepeatVector::new(4)
            .name("rv")
            .call(&Tensor::zeros([2, 3, 6], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "RepeatVector 'rv' expects 2 dimensions (batch, features), got input of shape (None, 3, 6)"
        );
    }
}
