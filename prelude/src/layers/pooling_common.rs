//! What the windowed pooling layers (`MaxPooling1D/2D/3D`, `AveragePooling2D`) share,
//! channels-last.

use super::config::read_config;
use super::conv_common::{to_channels_first, to_channels_last};
use super::keras_object::{channels_last, valid, Dims};
use super::padding::{torch_pad_order, Padding};
use super::{layer_shape_err, LayerKind};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Tensor};

/// A pooling layer's options, field for field as Keras 3 writes them (less `name`,
/// `trainable`, `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolConfig {
    /// The window, one number or one per spatial axis.
    #[serde(default = "two")]
    pub pool_size: Dims,
    /// `valid` or `same`.
    #[serde(default = "valid")]
    pub padding: String,
    /// The step between windows; `None` (Keras's default) is the pool size, and Keras
    /// writes that size.
    pub strides: Option<Dims>,
    /// The prelude is channels-last, as Keras's default.
    #[serde(default = "channels_last")]
    pub data_format: String,
}

fn two() -> Dims {
    Dims::One(2)
}

/// The shared implementation of the windowed pooling layers: a kind without weights, built
/// from the start; `build` checks the input and resolves the padding.
pub(crate) struct PoolN {
    class: &'static str,
    max: bool,
    /// Sizes one per axis, strides written out (as Keras's `get_config()` has them).
    pub(super) config: PoolConfig,
    pool: Vec<i64>,
    pad: Padding,
}

impl PoolN {
    pub(super) fn new(class: &'static str, max: bool, pool: Vec<i64>) -> Self {
        PoolN {
            class,
            max,
            config: PoolConfig {
                pool_size: Dims::PerAxis(pool.clone()),
                padding: valid(),
                strides: None,
                data_format: channels_last(),
            },
            pool,
            pad: Padding::Valid,
        }
    }

    /// The layer of a saved pooling config; sizes given as one number are spread over the
    /// class's axes.
    pub(crate) fn from_config(class: &str, c: &Value) -> Result<PoolN> {
        let (class, max, n): (&'static str, bool, usize) = match class {
            "MaxPooling1D" => ("MaxPooling1D", true, 1),
            "MaxPooling2D" => ("MaxPooling2D", true, 2),
            "MaxPooling3D" => ("MaxPooling3D", true, 3),
            _ => ("AveragePooling2D", false, 2),
        };
        let config: PoolConfig = read_config(class, c)?;
        let pool = config.pool_size.expand(class, "pool_size", n)?;
        let mut p = PoolN::new(class, max, pool);
        if let Some(s) = &config.strides {
            p.config.strides = Some(Dims::PerAxis(s.expand(class, "strides", n)?));
        }
        p.config.padding = config.padding;
        p.config.data_format = config.data_format;
        Ok(p)
    }

    fn strides(&self) -> Vec<i64> {
        match &self.config.strides {
            Some(Dims::PerAxis(s)) => s.clone(),
            Some(Dims::One(s)) => vec![*s; self.pool.len()],
            None => self.pool.clone(),
        }
    }
}

impl LayerKind for PoolN {
    fn class_name(&self) -> &'static str {
        self.class
    }
    fn default_name(&self) -> &'static str {
        match self.class {
            "MaxPooling1D" => "max_pooling1d",
            "MaxPooling2D" => "max_pooling2d",
            "MaxPooling3D" => "max_pooling3d",
            _ => "average_pooling2d",
        }
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        let n = self.pool.len();
        self.pad = Padding::parse(&self.config.padding)?;
        if input.len() != n + 1 {
            return Err(layer_shape_err(
                label,
                format!("{} dimensions", n + 2),
                input,
            ));
        }
        let strides = self.strides();
        let mut out = Vec::with_capacity(n + 1);
        for i in 0..n {
            let (len, before, after) = self.pad.out_len(input[i], self.pool[i], strides[i]);
            if len <= 0 {
                return Err(layer_shape_err(
                    label,
                    format!("spatial size at least the pool size {:?}", self.pool),
                    input,
                ));
            }
            if !self.max && before != after {
                return Err(Error::InvalidArgument(format!(
                    "{label}: 'same' padding that needs uneven padding is only supported for max pooling"
                )));
            }
            out.push(len);
        }
        out.push(input[n]);
        Ok(out)
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let n = self.pool.len();
        let strides = self.strides();
        let mut xc = x.permute(to_channels_first(n).as_slice());
        let pads = self.pad.pads(&xc.size(), &self.pool, &strides);
        let any_pad = pads.iter().any(|&(b, a)| b + a > 0);
        let zero = vec![0; n];
        let one = vec![1; n];
        let y = if self.max {
            if any_pad {
                let flat = torch_pad_order(&pads);
                xc = xc.pad(flat.as_slice(), "constant", f64::NEG_INFINITY);
            }
            match n {
                1 => xc.max_pool1d(
                    self.pool.as_slice(),
                    strides.as_slice(),
                    zero.as_slice(),
                    one.as_slice(),
                    false,
                ),
                2 => xc.max_pool2d(
                    self.pool.as_slice(),
                    strides.as_slice(),
                    zero.as_slice(),
                    one.as_slice(),
                    false,
                ),
                _ => xc.max_pool3d(
                    self.pool.as_slice(),
                    strides.as_slice(),
                    zero.as_slice(),
                    one.as_slice(),
                    false,
                ),
            }
        } else {
            let sym: Vec<i64> = pads.iter().map(|p| p.0).collect();
            xc.avg_pool2d(
                self.pool.as_slice(),
                strides.as_slice(),
                sym.as_slice(),
                false,
                false,
                None,
            )
        };
        y.permute(to_channels_last(n).as_slice())
    }
    fn config(&self) -> Value {
        let mut c = self.config.clone();
        c.strides = Some(Dims::PerAxis(self.strides()));
        serde_json::to_value(c).expect("a PoolConfig is plain JSON")
    }
}
/// Declares one windowed pooling layer over [`PoolN`].
macro_rules! pool_layer {
    ($ty:ident, $n:literal, $max:literal, $doc:literal) => {
        #[doc = $doc]
        pub struct $ty {
            pub(crate) opts: LayerOpts,
            inner: PoolN,
        }
        layer_builder!($ty);

        impl $ty {
            /// Pooling over windows of `pool_size` (one number or one per axis); strides default
            /// to the pool size.
            pub fn new(pool_size: impl Into<SpatialDims<$n>>) -> Self {
                $ty {
                    opts: LayerOpts::default(),
                    inner: PoolN::new(stringify!($ty), $max, pool_size.into().0.to_vec()),
                }
            }
            /// The step between windows (default: the pool size).
            pub fn strides(mut self, strides: impl Into<SpatialDims<$n>>) -> Self {
                self.inner.config.strides =
                    Some($crate::layers::Dims::PerAxis(strides.into().0.to_vec()));
                self
            }
            /// `"valid"` (default) or `"same"`.
            pub fn padding(mut self, padding: &str) -> Self {
                self.inner.config.padding = padding.to_string();
                self
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self::new(2)
            }
        }

        delegate_layer_kind!($ty);
    };
}
pub(super) use pool_layer;
