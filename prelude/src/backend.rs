//! Keras's `keras.backend` / `keras.utils.set_random_seed`: the device models run on and
//! the random seed.
//!
//! CUDA is used automatically when libtorch sees a GPU; [`set_device`] forces a device.
//!
//! ```
//! use ferrokeras::prelude::*;
//! set_random_seed(42);
//! let a = Tensor::rand([3], (Kind::Float, Device::Cpu));
//! set_random_seed(42);
//! let b = Tensor::rand([3], (Kind::Float, Device::Cpu));
//! assert!(a.equal(&b));
//! ```

use std::cell::Cell;
use tch::Device;

thread_local! {
    static DEVICE: Cell<Option<Device>> = const { Cell::new(None) };
    static SEED_STATE: Cell<u64> = const { Cell::new(0x5eed_f00d) };
}

/// Seeds libtorch's generator and the prelude's own (shuffling, searches), so runs repeat on CPU.
pub fn set_random_seed(seed: u64) {
    tch::manual_seed(seed as i64);
    SEED_STATE.with(|s| s.set(seed ^ 0x9e37_79b9_7f4a_7c15));
}

/// The next seed for a shuffle or a random search, drawn from the prelude's seeded stream.
pub fn next_seed() -> u64 {
    SEED_STATE.with(|s| {
        // splitmix64
        let mut z = s.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    })
}

/// Forces the device new models are built on (`Device::Cpu`, `Device::Cuda(0)`).
pub fn set_device(device: Device) {
    DEVICE.with(|d| d.set(Some(device)));
}

/// The device new models are built on: the forced one, else CUDA when available, else CPU.
pub fn current_device() -> Device {
    DEVICE
        .with(|d| d.get())
        .unwrap_or_else(Device::cuda_if_available)
}
