//! Keras's `keras.backend` / `keras.utils.set_random_seed`: the device models run on and
//! the random seed.
//!
//! CUDA is used automatically when libtorch sees a GPU; the setting `FERROKERAS_DEVICE`
//! (`auto`, `cpu` or `cuda`, see [`DeviceSetting`]) or [`set_device`] in a cell chooses
//! otherwise. Models build their weights on [`current_device`]; layer calls, losses and metrics
//! move their inputs to the weights' device ([`to_device_of`]); `predict`, plots and displays
//! hand back CPU tensors.
//!
//! ```
//! use ferrokeras::prelude::*;
//! set_random_seed(42);
//! let a = Tensor::rand([3], (Kind::Float, Device::Cpu));
//! set_random_seed(42);
//! let b = Tensor::rand([3], (Kind::Float, Device::Cpu));
//! assert!(a.equal(&b));
//! ```

mod cuda_library;
pub(crate) mod grad;
pub(crate) mod lstm_cpu;
#[cfg(test)]
pub(crate) mod meta_device;
mod placement;

pub use cuda_library::{load_cuda_library, nvidia_driver_present, CudaLibrary};
pub use placement::to_device_of;

pub use crate::runtime::DeviceSetting;

use crate::runtime::session_state::with_state;
use crate::runtime::settings;
use tch::Device;

// The seed stream and the forced device last for the whole notebook session, across cells
// (`runtime::session_state`).
const DEFAULT_SEED_STATE: u64 = 0x5eed_f00d;

/// Seeds libtorch's generator and the prelude's own (shuffling, searches), so runs repeat on CPU.
pub fn set_random_seed(seed: u64) {
    tch::manual_seed(seed as i64);
    with_state(|s| s.seed_state = Some(seed ^ 0x9e37_79b9_7f4a_7c15));
}

/// The next seed for a shuffle or a random search, drawn from the prelude's seeded stream.
pub fn next_seed() -> u64 {
    // splitmix64
    let mut z = with_state(|s| {
        let next = s
            .seed_state
            .unwrap_or(DEFAULT_SEED_STATE)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        s.seed_state = Some(next);
        next
    });
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Forces the device new models are built on (`Device::Cpu`, `Device::Cuda(0)`); a CUDA
/// device loads libtorch's CUDA library first if the session has not.
pub fn set_device(device: Device) {
    let forced = match device {
        Device::Cuda(i) => {
            DeviceSetting::Cuda.prepare();
            Device::Cuda(i)
        }
        _ => Device::Cpu,
    };
    with_state(|s| s.forced_device = Some(forced));
}

/// The device new models are built on: the one [`set_device`] forced, else the one
/// [`DeviceSetting`] chooses (by default CUDA when libtorch sees a GPU, else the CPU).
pub fn current_device() -> Device {
    match with_state(|s| s.forced_device) {
        Some(device) => device,
        None => DeviceSetting::current().device(),
    }
}

// Where models run is a session setting (`FERROKERAS_DEVICE`, `runtime::settings`); what it
// means for libtorch is decided here.
impl DeviceSetting {
    /// The session's setting (`auto` unless `FERROKERAS_DEVICE` said otherwise).
    pub fn current() -> DeviceSetting {
        settings::setting(|s| s.device)
    }

    /// Loads libtorch's CUDA library where this setting wants it ([`load_cuda_library`]).
    pub fn prepare(self) -> Option<CudaLibrary> {
        match self {
            DeviceSetting::Cpu => None,
            DeviceSetting::Auto => Some(load_cuda_library(false)),
            DeviceSetting::Cuda => {
                let loaded = load_cuda_library(true);
                if !matches!(loaded, CudaLibrary::Loaded(_)) {
                    warn_once(&format!("FERROKERAS_DEVICE=cuda: {loaded}"));
                }
                Some(loaded)
            }
        }
    }

    /// The device this setting chooses now (loading the CUDA library first where wanted).
    pub fn device(self) -> Device {
        self.prepare();
        match self {
            DeviceSetting::Cpu => Device::Cpu,
            DeviceSetting::Auto => Device::cuda_if_available(),
            DeviceSetting::Cuda => Device::Cuda(0),
        }
    }
}

/// Prepares the session's device: loads libtorch's CUDA library as [`DeviceSetting`] says,
/// so that tch's own `Device::cuda_if_available()` and CUDA tensors work in cells too. The
/// kernel calls it when a session starts and when a notebook adopts a waiting session.
pub fn init_device() {
    DeviceSetting::current().prepare();
}

/// Prints `message` on stderr once per process.
fn warn_once(message: &str) {
    static WARNED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.iter().any(|m| m == message) {
        eprintln!("ferrokeras: {message}");
        warned.push(message.to_string());
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

    #[test]
    fn device_settings_parse() {
        assert_eq!(DeviceSetting::parse(""), Some(DeviceSetting::Auto));
        assert_eq!(DeviceSetting::parse("CPU"), Some(DeviceSetting::Cpu));
        assert_eq!(DeviceSetting::parse(" cuda "), Some(DeviceSetting::Cuda));
        assert_eq!(DeviceSetting::parse("tpu"), None);
        assert_eq!(DeviceSetting::Cpu.device(), Device::Cpu);
    }

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
