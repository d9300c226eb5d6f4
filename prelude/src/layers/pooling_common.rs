//! What the windowed pooling layers (`MaxPooling1D/2D/3D`, `AveragePooling2D`) share,
//! channels-last.

use super::conv_common::{to_channels_first, to_channels_last};
use super::padding::{torch_pad_order, Padding};
use super::{layer_shape_err, LayerKind};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// The shared implementation of the windowed pooling layers.
pub(crate) struct PoolN {
    class: &'static str,
    max: bool,
    pool: Vec<i64>,
    pub(super) strides: Option<Vec<i64>>,
    pub(super) padding: String,
    pad: Padding,
}

impl PoolN {
    pub(super) fn new(class: &'static str, max: bool, pool: Vec<i64>) -> Self {
        PoolN {
            class,
            max,
            pool,
            strides: None,
            padding: "valid".into(),
            pad: Padding::Valid,
        }
    }

    pub(crate) fn from_config(class: &str, c: &Value) -> Result<PoolN> {
        let get = |k: &str| -> Result<Option<Vec<i64>>> {
            serde_json::from_value(c[k].clone())
                .map_err(|e| Error::InvalidArgument(format!("saved {class} config {k}: {e}")))
        };
        let (class, max): (&'static str, bool) = match class {
            "MaxPooling1D" => ("MaxPooling1D", true),
            "MaxPooling2D" => ("MaxPooling2D", true),
            "MaxPooling3D" => ("MaxPooling3D", true),
            _ => ("AveragePooling2D", false),
        };
        let mut p = PoolN::new(class, max, get("pool_size")?.unwrap_or(vec![2, 2]));
        p.strides = get("strides")?;
        p.padding = c["padding"].as_str().unwrap_or("valid").to_string();
        Ok(p)
    }

    fn strides(&self) -> Vec<i64> {
        self.strides.clone().unwrap_or_else(|| self.pool.clone())
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
        self.pad = Padding::parse(&self.padding)?;
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
        json!({"pool_size": self.pool, "strides": self.strides, "padding": self.padding})
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
                self.inner.strides = Some(strides.into().0.to_vec());
                self
            }
            /// `"valid"` (default) or `"same"`.
            pub fn padding(mut self, padding: &str) -> Self {
                self.inner.padding = padding.to_string();
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
