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
    /// The weights of a layer with a `kernel` (already in Keras layout) and a bias when it
    /// uses one, both trainable.
    pub(crate) fn kernel_and_bias(kernel: Tensor, bias: Option<&Tensor>) -> Vec<Weight> {
        let kernel = Weight {
            name: "kernel",
            value: kernel,
            trainable: true,
        };
        let bias = bias.map(|b| Weight {
            name: "bias",
            value: b.shallow_clone(),
            trainable: true,
        });
        std::iter::once(kernel).chain(bias).collect()
    }
}
