//! Keras's `ReLU` layer.

use super::config::field;
use super::{layer_builder, LayerKind, LayerOpts};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// Keras's `ReLU` layer: a rectifier with an optional cap, slope below and threshold.
///
/// Arguments (builder methods): [`max_value`](ReLU::max_value) (no cap by default; `6.0`
/// makes `relu6`), [`negative_slope`](ReLU::negative_slope) (default 0) and
/// [`threshold`](ReLU::threshold) (default 0). As Keras computes it: `min(x, max_value)`
/// for `x > threshold`, else `negative_slope · (x - threshold)`. The output has the input's
/// shape.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::from_slice(&[-1.0f32, 3.0, 8.0]).view([1, 3]);
/// let y = ReLU::new().max_value(6.0).call(&x).unwrap();
/// assert_eq!(Vec::<f32>::try_from(y.view([-1])).unwrap(), vec![0.0, 3.0, 6.0]);
/// ```
pub struct ReLU {
    pub(crate) opts: LayerOpts,
    max_value: Option<f64>,
    negative_slope: f64,
    threshold: f64,
}
layer_builder!(ReLU);

impl ReLU {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        let mut relu = ReLU::new()
            .negative_slope(field("ReLU", c, "negative_slope")?)
            .threshold(field("ReLU", c, "threshold")?);
        relu.max_value = field("ReLU", c, "max_value")?;
        Ok(relu)
    }
}

impl Default for ReLU {
    fn default() -> Self {
        Self::new()
    }
}

impl ReLU {
    /// A plain rectifier, `max(x, 0)`.
    pub fn new() -> Self {
        ReLU {
            opts: LayerOpts::default(),
            max_value: None,
            negative_slope: 0.0,
            threshold: 0.0,
        }
    }
    /// The largest output (`6.0`: relu6).
    pub fn max_value(mut self, max_value: f64) -> Self {
        self.max_value = Some(max_value);
        self
    }
    /// The slope below the threshold.
    pub fn negative_slope(mut self, negative_slope: f64) -> Self {
        self.negative_slope = negative_slope;
        self
    }
    /// Inputs at or below it are not passed through.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.threshold = threshold;
        self
    }
}

impl LayerKind for ReLU {
    fn class_name(&self) -> &'static str {
        "ReLU"
    }
    fn default_name(&self) -> &'static str {
        "re_lu"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        // The ranges Keras's constructor accepts.
        let options = [
            ("max_value", self.max_value.unwrap_or(0.0)),
            ("negative_slope", self.negative_slope),
            ("threshold", self.threshold),
        ];
        if let Some((name, v)) = options.iter().find(|(_, v)| *v < 0.0) {
            return Err(Error::InvalidArgument(format!(
                "{label}: {name} must be a number >= 0, got {v}"
            )));
        }
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        // Keras's `relu`: x kept only strictly above a nonzero threshold (x == threshold gives
        // 0), capped, then the slope applied to how far x is below the threshold.
        let mut y = if self.threshold != 0.0 {
            x * x.gt(self.threshold).to_kind(x.kind())
        } else {
            x.relu()
        };
        if let Some(max) = self.max_value {
            y = y.clamp(0.0, max);
        }
        if self.negative_slope != 0.0 {
            y -= (x.neg() + self.threshold).relu() * self.negative_slope;
        }
        y
    }
    fn config(&self) -> Value {
        json!({"max_value": self.max_value, "negative_slope": self.negative_slope,
               "threshold": self.threshold})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    fn run(relu: ReLU) -> Vec<f32> {
        let x = Tensor::from_slice(&[-3f32, -1., 0., 0.5, 1., 2., 5., 7.]).view([1, 8]);
        let y = relu.call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 8]);
        Vec::<f32>::try_from(y.view([-1])).unwrap()
    }

    fn close(got: Vec<f32>, want: &[f32]) {
        let ok = got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-6);
        assert!(ok && got.len() == want.len(), "{got:?} != {want:?}");
    }

    /// Keras 3.15 on [-3, -1, 0, 0.5, 1, 2, 5, 7].
    #[test]
    fn matches_keras() {
        let all = ReLU::new()
            .max_value(6.0)
            .negative_slope(0.1)
            .threshold(1.0);
        close(run(all), &[-0.4, -0.2, -0.1, -0.05, 0., 2., 5., 6.]);
        close(
            run(ReLU::new().max_value(6.0)),
            &[0., 0., 0., 0.5, 1., 2., 5., 6.],
        );
        close(run(ReLU::new()), &[0., 0., 0., 0.5, 1., 2., 5., 7.]);
        close(
            run(ReLU::new().negative_slope(0.1)),
            &[-0.3, -0.1, 0., 0.5, 1., 2., 5., 7.],
        );
        close(
            run(ReLU::new().threshold(1.0)),
            &[0., 0., 0., 0., 0., 2., 5., 7.],
        );
    }

    /// Keras: no weights, shape kept; `ReLU(max_value=6)`'s config round trips.
    #[test]
    fn shape_params_and_config() {
        let l: Layer = ReLU::new().max_value(6.0).into();
        assert_eq!(l.build(&[5], Device::Cpu).unwrap(), vec![5]);
        assert_eq!(l.count_params(), 0);
        let c = l.config()["config"].clone();
        let want = serde_json::json!({"max_value": 6.0, "negative_slope": 0.0, "threshold": 0.0});
        assert_eq!(c, want);
        assert_eq!(super::ReLU::from_config(&c).unwrap().config(), c);
        let plain = ReLU::new().config();
        assert_eq!(super::ReLU::from_config(&plain).unwrap().config(), plain);
        assert!(plain["max_value"].is_null());
    }

    #[test]
    fn negative_options_are_errors_naming_the_layer() {
        let err = ReLU::new()
            .negative_slope(-0.1)
            .name("r")
            .call(&Tensor::zeros([1, 2], (Kind::Float, Device::Cpu)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "invalid argument: ReLU 'r': negative_slope must be a number >= 0, got -0.1"
        );
    }
}
