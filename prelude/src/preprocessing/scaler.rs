//! scikit-learn's `StandardScaler`: zero mean and unit variance per feature.

use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// Standardizes features by removing the mean and scaling to unit variance (population
/// standard deviation, as scikit-learn; a constant feature keeps scale 1).
///
/// Input shape `(N, features)`; output the same shape, `Kind::Float`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::from_slice(&[1.0f32, 10., 3.0, 10.]).reshape([2, 2]);
/// let scaler = StandardScaler::new().fit(&x)?;
/// let z = scaler.transform(&x)?;
/// assert_eq!(Vec::<f32>::try_from(z.reshape([-1])).unwrap(), vec![-1., 0., 1., 0.]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug)]
pub struct StandardScaler {
    /// Per-feature mean, once fitted.
    pub mean_: Option<Tensor>,
    /// Per-feature scale (standard deviation, 1 where it is 0), once fitted.
    pub scale_: Option<Tensor>,
}

impl Default for StandardScaler {
    fn default() -> Self {
        Self::new()
    }
}

impl StandardScaler {
    /// A scaler not yet fitted.
    pub fn new() -> Self {
        Self {
            mean_: None,
            scale_: None,
        }
    }
    /// Computes the per-feature mean and standard deviation of `x` `(N, features)`.
    pub fn fit(mut self, x: &Tensor) -> Result<Self> {
        if x.dim() != 2 || x.size()[0] == 0 {
            return Err(Error::InvalidArgument(format!(
                "StandardScaler expects a non-empty (samples, features) tensor, got shape {:?}",
                x.size()
            )));
        }
        let x = x.to_kind(Kind::Double);
        let mean = x.mean_dim(0, false, Kind::Double);
        let std = x.std_dim(0, false, false);
        let scale = std.where_self(&std.ne(0.0), &std.ones_like());
        self.mean_ = Some(mean.to_kind(Kind::Float));
        self.scale_ = Some(scale.to_kind(Kind::Float));
        Ok(self)
    }
    fn params(&self, x: &Tensor) -> Result<(&Tensor, &Tensor)> {
        let (m, s) = match (&self.mean_, &self.scale_) {
            (Some(m), Some(s)) => (m, s),
            _ => {
                return Err(Error::NotReady(
                    "StandardScaler is not fitted yet; call fit(&x) first".into(),
                ))
            }
        };
        if x.size().last() != m.size().last() {
            return Err(Error::InvalidArgument(format!(
                "StandardScaler was fitted on {} features, got shape {:?}",
                m.size()[0],
                x.size()
            )));
        }
        Ok((m, s))
    }
    /// `(x - mean) / scale`.
    pub fn transform(&self, x: &Tensor) -> Result<Tensor> {
        let (m, s) = self.params(x)?;
        Ok((x.to_kind(Kind::Float) - m.to_device(x.device())) / s.to_device(x.device()))
    }
    /// `x * scale + mean`.
    pub fn inverse_transform(&self, x: &Tensor) -> Result<Tensor> {
        let (m, s) = self.params(x)?;
        Ok(x.to_kind(Kind::Float) * s.to_device(x.device()) + m.to_device(x.device()))
    }
    /// Fits on `x` and returns it transformed.
    pub fn fit_transform(&mut self, x: &Tensor) -> Result<Tensor> {
        let fitted = StandardScaler::new().fit(x)?;
        *self = fitted;
        self.transform(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn population_std_and_constant_columns() {
        let x = Tensor::from_slice(&[0.0f32, 5., 2., 5., 4., 5.]).reshape([3, 2]);
        let mut s = StandardScaler::new();
        let z = s.fit_transform(&x).unwrap();
        let expected = (8.0f64 / 3.0).sqrt();
        assert!((s.scale_.as_ref().unwrap().double_value(&[0]) - expected).abs() < 1e-6);
        assert_eq!(s.scale_.as_ref().unwrap().double_value(&[1]), 1.0);
        assert!((z.double_value(&[2, 0]) - 2.0 / expected).abs() < 1e-6);
        let back = s.inverse_transform(&z).unwrap();
        assert!(back.allclose(&x, 1e-5, 1e-5, false));
        assert!(StandardScaler::new().transform(&x).is_err());
    }
}
