//! What every layer builder shares: the options all of them take (`name`, `input_shape`,
//! `trainable`) and the macros that write the builder plumbing and the delegation to a
//! family's shared kind.

/// Options every layer builder has.
#[derive(Debug, Clone, Default)]
pub struct LayerOpts {
    /// The layer's name (automatic when `None`: `dense`, `dense_1`, …).
    pub name: Option<String>,
    /// The shape of one input example, as Keras's `input_shape=`.
    pub input_shape: Option<Vec<i64>>,
    /// `false` freezes the layer's weights.
    pub trainable: Option<bool>,
}

/// Implements the builder plumbing every layer builder shares: `name`, `input_shape`,
/// `trainable`, `Into<Layer>` and `call`.
///
/// `layer_builder!(Dense, spec)` for a builder that is a [`LayerSpec`](super::LayerSpec)
/// (its weights are made on the first build); `layer_builder!(Flatten)` for a builder that
/// is its own built [`LayerKind`](super::LayerKind).
macro_rules! layer_builder {
    ($ty:ident, spec) => {
        $crate::layers::layer_builder!(@options $ty);
        impl From<$ty> for $crate::layers::Layer {
            fn from(mut b: $ty) -> $crate::layers::Layer {
                let opts = std::mem::take(&mut b.opts);
                $crate::layers::Layer::from_spec(b, opts)
            }
        }
    };
    ($ty:ident) => {
        $crate::layers::layer_builder!(@options $ty);
        impl From<$ty> for $crate::layers::Layer {
            fn from(mut b: $ty) -> $crate::layers::Layer {
                let opts = std::mem::take(&mut b.opts);
                $crate::layers::Layer::new(b, opts)
            }
        }
    };
    (@options $ty:ident) => {
        impl $ty {
            /// Names the layer (automatic otherwise).
            pub fn name(mut self, name: impl Into<String>) -> Self {
                self.opts.name = Some(name.into());
                self
            }
            /// The shape of one input example (Keras's `input_shape=`).
            pub fn input_shape(mut self, shape: impl AsRef<[i64]>) -> Self {
                self.opts.input_shape = Some(shape.as_ref().to_vec());
                self
            }
            /// `false` creates the layer frozen.
            pub fn trainable(mut self, trainable: bool) -> Self {
                self.opts.trainable = Some(trainable);
                self
            }
            /// Turns the builder into a layer and calls it (see [`Layer::call`]).
            pub fn call<A: $crate::layers::CallArg + ?Sized>(self, x: &A) -> A::Output {
                $crate::layers::Layer::from(self).call(x)
            }
        }
    };
}
pub(crate) use layer_builder;

/// Implements `LayerKind` for a layer builder by handing every call to its `inner` kind, the
/// one implementation a family of layers shares (`ConvN`, `PoolN`, `Merge`).
macro_rules! delegate_layer_kind {
    ($ty:ident) => {
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
            fn weights(&self) -> Vec<Weight> {
                self.inner.weights()
            }
            fn params(&self) -> Vec<Tensor> {
                self.inner.params()
            }
            fn config(&self) -> Value {
                self.inner.config()
            }
            fn build_inputs(
                &mut self,
                label: &str,
                inputs: &[Vec<i64>],
                device: Device,
            ) -> Result<Vec<i64>> {
                self.inner.build_inputs(label, inputs, device)
            }
            fn forward_inputs(&self, xs: &[Tensor], training: bool) -> Tensor {
                self.inner.forward_inputs(xs, training)
            }
        }
    };
}
pub(crate) use delegate_layer_kind;

/// Implements `LayerSpec` for a layer builder by handing every call to its `inner` spec, the
/// one typed config a family of layers shares (`ConvSpec`).
macro_rules! delegate_layer_spec {
    ($ty:ident) => {
        impl $crate::layers::LayerSpec for $ty {
            fn class_name(&self) -> &'static str {
                self.inner.class_name()
            }
            fn default_name(&self) -> &'static str {
                self.inner.default_name()
            }
            fn config(&self) -> serde_json::Value {
                self.inner.config()
            }
            fn init(
                &self,
                label: &str,
                inputs: &[Vec<i64>],
                device: tch::Device,
            ) -> $crate::error::Result<Box<dyn $crate::layers::LayerKind>> {
                self.inner.init(label, inputs, device)
            }
        }
    };
}
pub(crate) use delegate_layer_spec;
