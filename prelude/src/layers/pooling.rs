//! Pooling layers, channels-last: `MaxPooling1D/2D/3D`, `AveragePooling2D`,
//! `GlobalAveragePooling2D`.

use super::conv::{to_channels_first, to_channels_last, SpatialDims};
use super::handle::{layer_builder, layer_shape_err, LayerKind, LayerOpts};
use super::registry::Padding;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// The shared implementation of the windowed pooling layers.
pub(crate) struct PoolN {
    class: &'static str,
    max: bool,
    pool: Vec<i64>,
    strides: Option<Vec<i64>>,
    padding: String,
    pad: Padding,
}

impl PoolN {
    fn new(class: &'static str, max: bool, pool: Vec<i64>) -> Self {
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
        let size = xc.size();
        let mut pads = Vec::with_capacity(n);
        for i in 0..n {
            let (_, before, after) = self.pad.out_len(size[2 + i], self.pool[i], strides[i]);
            pads.push((before, after));
        }
        let any_pad = pads.iter().any(|&(b, a)| b + a > 0);
        let zero = vec![0; n];
        let one = vec![1; n];
        let y = if self.max {
            if any_pad {
                let flat: Vec<i64> = pads.iter().rev().flat_map(|&(b, a)| [b, a]).collect();
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

        impl LayerKind for $ty {
            fn class_name(&self) -> &'static str {
                self.inner.class_name()
            }
            fn default_name(&self) -> &'static str {
                self.inner.default_name()
            }
            fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
                self.inner.build(label, input, device)
            }
            fn forward(&self, x: &Tensor, training: bool) -> Tensor {
                self.inner.forward(x, training)
            }
            fn config(&self) -> Value {
                self.inner.config()
            }
        }
    };
}

pool_layer!(
    MaxPooling1D,
    1,
    true,
    "Keras's `MaxPooling1D`: `(batch, steps, channels)`."
);
pool_layer!(
    MaxPooling2D,
    2,
    true,
    "Keras's `MaxPooling2D`: `(batch, h, w, channels)` → `(batch, h / ph, w / pw, channels)`."
);
pool_layer!(
    MaxPooling3D,
    3,
    true,
    "Keras's `MaxPooling3D`: `(batch, d, h, w, channels)`."
);
pool_layer!(
    AveragePooling2D,
    2,
    false,
    "Keras's `AveragePooling2D`: the mean of each window, channels-last."
);

/// Keras's `GlobalAveragePooling2D`: `(batch, h, w, channels)` → `(batch, channels)`.
#[derive(Default)]
pub struct GlobalAveragePooling2D {
    pub(crate) opts: LayerOpts,
}
layer_builder!(GlobalAveragePooling2D);

impl GlobalAveragePooling2D {
    /// A global average pooling layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl LayerKind for GlobalAveragePooling2D {
    fn class_name(&self) -> &'static str {
        "GlobalAveragePooling2D"
    }
    fn default_name(&self) -> &'static str {
        "global_average_pooling2d"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        if input.len() != 3 {
            return Err(layer_shape_err(
                label,
                "4 dimensions (batch, h, w, channels)",
                input,
            ));
        }
        Ok(vec![input[2]])
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.mean_dim([1i64, 2].as_slice(), false, x.kind())
    }
    fn config(&self) -> Value {
        json!({})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn max_pool_4x4_to_2x2() {
        let x = Tensor::from_slice(&[
            1f32, 3., 2., 1., 4., 6., 5., 0., 7., 2., 9., 8., 1., 0., 3., 4.,
        ])
        .view([1, 4, 4, 1]);
        let y = MaxPooling2D::new((2, 2)).call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 2, 2, 1]);
        assert_eq!(
            Vec::<f32>::try_from(y.view([-1])).unwrap(),
            vec![6., 5., 7., 9.]
        );
        let a = AveragePooling2D::new(2).call(&x).unwrap();
        assert_eq!(
            Vec::<f32>::try_from(a.view([-1])).unwrap(),
            vec![3.5, 2., 2.5, 6.]
        );
        let g = GlobalAveragePooling2D::new().call(&x).unwrap();
        assert_eq!(g.size(), vec![1, 1]);
        assert!((g.double_value(&[0, 0]) - 56.0 / 16.0).abs() < 1e-6);
    }

    #[test]
    fn same_padding_pools_keep_ceil_size() {
        let x = Tensor::arange(25, (Kind::Float, Device::Cpu)).view([1, 5, 5, 1]);
        let y = MaxPooling2D::new(2).padding("same").call(&x).unwrap();
        assert_eq!(y.size(), vec![1, 3, 3, 1]);
        assert_eq!(y.double_value(&[0, 2, 2, 0]), 24.0);
        let y1 = MaxPooling1D::new(2)
            .call(&Tensor::ones([2, 9, 3], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y1.size(), vec![2, 4, 3]);
        let y3 = MaxPooling3D::new(2)
            .call(&Tensor::ones([1, 4, 4, 4, 2], (Kind::Float, Device::Cpu)))
            .unwrap();
        assert_eq!(y3.size(), vec![1, 2, 2, 2, 2]);
    }
}
