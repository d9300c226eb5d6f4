//! One weight of a layer ([`Weight`]), as layer kinds report them. The handle's accessors
//! (`get_weights`, `set_weights`, …) are in `weight_access`, which knows the handle.

use tch::Tensor;

/// One weight of a layer, in Keras layout.
#[derive(Debug)]
pub struct Weight {
    /// Keras's name for it: `kernel`, `bias`, `gamma`, `moving_mean`, …
    pub name: &'static str,
    /// The value, in Keras layout (a view on the layer's storage: in-place writes reach it).
    pub value: Tensor,
    /// Whether the optimizer may change it (`false` for BatchNormalization's moving stats).
    pub trainable: bool,
}

impl Weight {
    /// The weights of a layer with a `kernel` (already in Keras layout) and an optional
    /// `bias`, both trainable; none before the layer is built.
    pub(crate) fn kernel_and_bias(kernel: Option<Tensor>, bias: Option<&Tensor>) -> Vec<Weight> {
        let kernel = kernel.map(|value| Weight {
            name: "kernel",
            value,
            trainable: true,
        });
        let bias = bias.map(|b| Weight {
            name: "bias",
            value: b.shallow_clone(),
            trainable: true,
        });
        kernel.into_iter().chain(bias).collect()
    }
}

/// Handles on the leaf tensors a layer has created so far, for its `params`.
pub(crate) fn created_params<const N: usize>(tensors: [&Option<Tensor>; N]) -> Vec<Tensor> {
    tensors
        .into_iter()
        .flatten()
        .map(Tensor::shallow_clone)
        .collect()
}
