//! Moving a tensor to where another one lives, for any libtorch device.
//!
//! Why not `x.to_device(w.device())`: tch's `Device` names only CPU, CUDA, MPS and Vulkan, so a
//! weight on any other device (libtorch's `meta`, say) reports a device it is not on. Moving
//! next to a zero-element slice of the weight itself works for every device libtorch has.

use tch::Tensor;

/// `x` on the device of `like`, keeping `x`'s dtype; `x` itself (shared) when already there.
///
/// ```
/// use ferrokeras::backend::to_device_of;
/// use ferrokeras::prelude::*;
/// let w = Tensor::ones([2, 2], (Kind::Float, Device::Cpu));
/// let x = Tensor::from_slice(&[1i64, 2]);
/// let moved = to_device_of(&x, &w);
/// assert_eq!((moved.device(), moved.kind()), (Device::Cpu, Kind::Int64));
/// ```
pub fn to_device_of(x: &Tensor, like: &Tensor) -> Tensor {
    if x.device() == like.device() {
        return x.shallow_clone();
    }
    let anchor = like.reshape([-1]).narrow(0, 0, 0).to_kind(x.kind());
    x.to_other(&anchor, false, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::meta_device::{is_meta, to_meta};
    use tch::{Device, Kind};

    /// A CPU tensor goes to the meta device of a weight (the way a CPU input meets GPU
    /// weights), and stays where it is when already there.
    #[test]
    fn moves_to_the_meta_device() {
        let x = Tensor::ones([2, 3], (Kind::Int64, Device::Cpu));
        let w = to_meta(&Tensor::ones([4, 3], (Kind::Float, Device::Cpu)));
        assert!(is_meta(&w));
        let moved = to_device_of(&x, &w);
        assert!(is_meta(&moved));
        assert_eq!((moved.size(), moved.kind()), (vec![2, 3], Kind::Int64));
        let stays = to_device_of(&x, &x);
        assert!(!is_meta(&stays));
        assert!(is_meta(&to_device_of(&moved, &w)));
    }
}
