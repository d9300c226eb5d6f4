//! Keras's `Reshape` layer.

use super::config::field;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use crate::error::{keras_shape, Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `Reshape`: gives each example the shape `target_shape`, keeping the batch axis.
///
/// Argument: `target_shape`, the shape of one example; at most one axis may be `-1`, which
/// takes the length that keeps the number of values.
/// Input `(batch, …)` → `(batch, *target_shape)`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(48, (Kind::Float, Device::Cpu)).view([2, 24]);
/// assert_eq!(Reshape::new([4, 6]).call(&x).unwrap().size(), vec![2, 4, 6]);
/// assert_eq!(Reshape::new([-1, 3]).call(&x).unwrap().size(), vec![2, 8, 3]);
/// ```
pub struct Reshape {
    pub(crate) opts: LayerOpts,
    target_shape: Vec<i64>,
}
layer_builder!(Reshape);

impl Reshape {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let target: Vec<i64> = field("Reshape", c, "target_shape")?;
        Ok(Reshape::new(target))
    }
}

impl Reshape {
    /// Reshapes each example to `target_shape` (one axis may be `-1`).
    pub fn new(target_shape: impl AsRef<[i64]>) -> Self {
        Reshape {
            opts: LayerOpts::default(),
            target_shape: target_shape.as_ref().to_vec(),
        }
    }

    /// The target shape for examples of `count` values, its `-1` filled in; `None` when no
    /// shape of the target's form holds exactly `count` values.
    fn resolve(&self, count: i64) -> Option<Vec<i64>> {
        let known: i64 = self.target_shape.iter().filter(|&&d| d != -1).product();
        let mut out = self.target_shape.clone();
        if let Some(free) = out.iter_mut().find(|d| **d == -1) {
            if known == 0 || count % known != 0 {
                return None;
            }
            *free = count / known;
        }
        (out.iter().product::<i64>() == count).then_some(out)
    }
}

impl LayerKind for Reshape {
    fn class_name(&self) -> &'static str {
        "Reshape"
    }
    fn default_name(&self) -> &'static str {
        "reshape"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let t = &self.target_shape;
        if t.iter().filter(|&&d| d == -1).count() > 1 || t.iter().any(|&d| d < -1 || d == 0) {
            return Err(Error::InvalidArgument(format!(
                "{label}: target_shape must hold positive lengths and at most one -1, got {t:?}"
            )));
        }
        let count: i64 = input.iter().product();
        self.resolve(count).ok_or_else(|| {
            let mut shown = vec![-1];
            shown.extend_from_slice(t);
            layer_shape_err(
                label,
                format!("a size that fits the target shape {}", keras_shape(&shown)),
                input,
            )
        })
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let size = x.size();
        let count: i64 = size[1..].iter().product();
        // Resolved here rather than left to libtorch's -1, so an empty batch reshapes too.
        let mut shape = vec![size[0]];
        shape.extend(self.resolve(count).expect("checked at build"));
        x.reshape(shape.as_slice())
    }
    fn config(&self) -> Value {
        json!({"target_shape": self.target_shape})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    /// Keras 3.15: `Reshape((4,6))` and `Reshape((-1,3))` on arange(24) keep the value order.
    #[test]
    fn matches_keras() {
        let x = Tensor::arange(24, (Kind::Float, Device::Cpu)).view([1, 24]);
        let want: Vec<f32> = (0..24).map(|v| v as f32).collect();
        for (target, shape) in [(vec![4, 6], vec![1, 4, 6]), (vec![-1, 3], vec![1, 8, 3])] {
            let y = Reshape::new(&target).call(&x).unwrap();
            assert_eq!(y.size(), shape);
            assert_eq!(Vec::<f32>::try_from(y.reshape([-1])).unwrap(), want);
        }
        let empty = Tensor::zeros([0, 24], (Kind::Float, Device::Cpu));
        let y = Reshape::new([-1, 3]).call(&empty).unwrap();
        assert_eq!(y.size(), vec![0, 8, 3]);
    }

    /// Keras: (None, 24) → (None, 4, 6) and (None, 8, 3), no weights; config round trip.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = Reshape::new([-1, 3]).into();
        assert_eq!(l.build(&[24], Device::Cpu).unwrap(), vec![8, 3]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        assert_eq!(c, serde_json::json!({"target_shape": [-1, 3]}));
        assert_eq!(super::Reshape::from_config(&c).unwrap().config(), c);
        let bad = Reshape::new([-1, -1]).call(&Tensor::zeros([1, 4], (Kind::Float, Device::Cpu)));
        assert!(bad.unwrap_err().to_string().contains("at most one -1"));
    }

    #[test]
    fn wrong_size_names_layer_and_shapes() {
        let x = Tensor::zeros([2, 25], (Kind::Float, Device::Cpu));
        let err = Reshape::new([4, 6])
            .name("r")
            .call(&x)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "Reshape 'r' expects a size that fits the target shape (None, 4, 6), got input of shape (None, 25)"
        );
        let err = Reshape::new([-1, 7])
            .name("r2")
            .call(&x)
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("target shape (None, None, 7), got input of shape (None, 25)"),
            "{err}"
        );
    }
}
