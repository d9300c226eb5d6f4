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

/// Flushes denormal floats to zero on this thread's CPU arithmetic, as TensorFlow does by
/// default (PyTorch's `torch.set_flush_denormal(True)`). Weights that decay towards zero
/// otherwise become denormals, which the CPU computes many times slower: an MLP trained with
/// RMSprop slowed from 5 to 12 ms per step after its second epoch without it. `fit` calls
/// it; returns whether the CPU supports it.
pub fn flush_denormals() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // MXCSR bit 15 flushes denormal results to zero, bit 6 reads denormal inputs as zero.
        let mut csr: u32 = 0;
        // SAFETY: stmxcsr/ldmxcsr only read and write the SSE control register of this
        // thread, and SSE2 is part of every x86_64 CPU.
        unsafe {
            std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
            csr |= 0x8040;
            std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
        }
        true
    }
    #[cfg(target_arch = "aarch64")]
    {
        // FPCR bit 24 (FZ) flushes denormals to zero.
        // SAFETY: reads and writes this thread's floating-point control register only.
        unsafe {
            let mut fpcr: u64;
            std::arch::asm!("mrs {}, fpcr", out(reg) fpcr, options(nomem, nostack));
            fpcr |= 1 << 24;
            std::arch::asm!("msr fpcr, {}", in(reg) fpcr, options(nomem, nostack));
        }
        true
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Kind, Tensor};

    /// After `flush_denormals`, a result below f32's normal range is 0 on this thread.
    #[test]
    fn denormals_become_zero() {
        // Each test runs on its own thread, so this leaves other tests' threads alone.
        let tiny = Tensor::from_slice(&[1e-30f32]);
        let before = (&tiny * 1e-10).double_value(&[0]);
        assert!(before > 0.0, "a denormal result: {before}");
        assert!(flush_denormals());
        let after = (&tiny * 1e-10).double_value(&[0]);
        assert_eq!(after, 0.0);
        assert_eq!(tiny.to_kind(Kind::Float).double_value(&[0]) as f32, 1e-30);
    }
}
