//! Clearing gradients as PyTorch's `zero_grad(set_to_none=True)` does (`csrc/grad.cpp`):
//! what Keras's torch backend does before each training step.

use tch::Tensor;
use torch_sys::C_tensor;

extern "C" {
    fn ferrokeras_clear_grad(tensor: *const C_tensor);
}

/// Makes `tensor`'s gradient undefined, so that the next backward pass writes a new one
/// instead of adding into a zeroed one (tch's `zero_grad`: a fill and an add over the
/// weight), and a weight the pass does not reach has none.
pub(crate) fn clear_grad(tensor: &Tensor) {
    // SAFETY: tch's tensors are pointers to libtorch's `at::Tensor`; the C++ side resets the
    // gradient held by its autograd metadata and keeps no pointer.
    unsafe { ferrokeras_clear_grad(tensor.as_ptr()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn a_cleared_gradient_is_undefined_and_the_next_pass_writes_it_afresh() {
        let w = Tensor::ones([3], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        (&w * 2.0).sum(Kind::Float).backward();
        let first = w.grad();
        clear_grad(&w);
        assert!(!w.grad().defined());
        // The old gradient tensor is not written to by the next pass.
        (&w * 3.0).sum(Kind::Float).backward();
        assert_eq!(Vec::<f32>::try_from(w.grad()).unwrap(), [3.0; 3]);
        assert_eq!(Vec::<f32>::try_from(first).unwrap(), [2.0; 3]);
        // A tensor that never had a gradient keeps having none.
        let detached = w.detach();
        clear_grad(&detached);
        assert!(!detached.grad().defined());
    }
}
