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

use crate::runtime::shared;
use tch::Device;

// The seed stream and the forced device last for the whole notebook session, across cells
// (`runtime::shared`).
const SEED_KEY: &str = "seed-state";
const DEVICE_KEY: &str = "device";
const DEFAULT_SEED_STATE: u64 = 0x5eed_f00d;

/// Seeds libtorch's generator and the prelude's own (shuffling, searches), so runs repeat on CPU.
pub fn set_random_seed(seed: u64) {
    tch::manual_seed(seed as i64);
    shared::set(SEED_KEY, &(seed ^ 0x9e37_79b9_7f4a_7c15).to_string());
}

/// The next seed for a shuffle or a random search, drawn from the prelude's seeded stream.
pub fn next_seed() -> u64 {
    let state = shared::get(SEED_KEY)
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_SEED_STATE);
    // splitmix64
    let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    shared::set(SEED_KEY, &z.to_string());
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Forces the device new models are built on (`Device::Cpu`, `Device::Cuda(0)`).
pub fn set_device(device: Device) {
    let value = match device {
        Device::Cuda(i) => format!("cuda:{i}"),
        _ => "cpu".to_string(),
    };
    shared::set(DEVICE_KEY, &value);
}

/// The device new models are built on: the forced one, else CUDA when available, else CPU.
pub fn current_device() -> Device {
    match shared::get(DEVICE_KEY).as_deref() {
        Some("cpu") => Device::Cpu,
        Some(cuda) if cuda.starts_with("cuda:") => Device::Cuda(cuda[5..].parse().unwrap_or(0)),
        _ => Device::cuda_if_available(),
    }
}
