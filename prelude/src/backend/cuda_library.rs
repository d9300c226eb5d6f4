//! Loading libtorch's CUDA backend (`libtorch_cuda.so`) into the process.
//!
//! Why at run time: torch-sys asks the linker for `-ltorch_cuda`, but no symbol of it is
//! referenced, so linkers that default to `--as-needed` (Debian, Ubuntu) drop it, and libtorch
//! never registers its CUDA kernels: every CUDA tensor then fails with "Could not run
//! 'aten::empty.memory_format' with arguments from the 'CUDA' backend". Loading the library
//! (its static initialisers register the backend) fixes that, and doing it at run time lets a
//! laptop without an NVIDIA driver skip a large library it cannot use.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The file name of libtorch's CUDA library beside `libtorch_cpu.so`.
const CUDA_LIBRARY: &str = "libtorch_cuda.so";

/// What happened when the CUDA library was last asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CudaLibrary {
    /// Loaded (now or earlier): libtorch can run on CUDA devices when a driver and a GPU exist.
    Loaded(PathBuf),
    /// Not loaded because no NVIDIA driver was found (the `auto` setting on a machine
    /// without a GPU): nothing to gain, so nothing is paid.
    NoDriver,
    /// The installed torch has no CUDA library (PyTorch's CPU-only wheel): the directory
    /// that was searched.
    NotInstalled(PathBuf),
    /// libtorch itself was not found among the process's libraries.
    NoLibtorch,
    /// Loading failed: the library's path and the loader's message.
    Failed(PathBuf, String),
}

impl std::fmt::Display for CudaLibrary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CudaLibrary::Loaded(p) => write!(f, "CUDA backend loaded from {}", p.display()),
            CudaLibrary::NoDriver => write!(f, "no NVIDIA driver found: CUDA backend not loaded"),
            CudaLibrary::NotInstalled(dir) => write!(
                f,
                "the installed torch has no CUDA library ({CUDA_LIBRARY} is not in {}): it is \
                 PyTorch's CPU-only wheel; run set-up without FERROKERAS_TORCH_INDEX to get CUDA",
                dir.display()
            ),
            CudaLibrary::NoLibtorch => {
                write!(
                    f,
                    "libtorch_cpu.so is not loaded: cannot find libtorch's CUDA library"
                )
            }
            CudaLibrary::Failed(p, e) => write!(f, "loading {} failed: {e}", p.display()),
        }
    }
}

/// The libraries loaded so far (kept: unloading libtorch's CUDA backend is not supported).
static LOADED: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Loads libtorch's CUDA library once per process: always when `force`, else only where an
/// NVIDIA driver is present. Later calls return the first load's result at no cost.
pub fn load_cuda_library(force: bool) -> CudaLibrary {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = loaded.as_ref() {
        return CudaLibrary::Loaded(path.clone());
    }
    if !force && !nvidia_driver_present() {
        return CudaLibrary::NoDriver;
    }
    let Some(dir) = libtorch_dir() else {
        return CudaLibrary::NoLibtorch;
    };
    let path = dir.join(CUDA_LIBRARY);
    if !path.is_file() {
        return CudaLibrary::NotInstalled(dir);
    }
    // RTLD_GLOBAL: the CUDA kernels register themselves with libtorch_cpu's dispatcher and
    // their symbols must be visible to libraries loaded later (cuDNN plug-ins).
    let flags = libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL;
    // SAFETY: loading runs libtorch_cuda's static initialisers, which only register kernels
    // with the already loaded libtorch of the same version (the one beside it).
    match unsafe { libloading::os::unix::Library::open(Some(&path), flags) } {
        Ok(lib) => {
            // Never unloaded: libtorch keeps pointers into it for the life of the process.
            std::mem::forget(lib);
            *loaded = Some(path.clone());
            CudaLibrary::Loaded(path)
        }
        Err(e) => CudaLibrary::Failed(path, e.to_string()),
    }
}

/// Whether an NVIDIA driver is installed and reachable: the kernel module's proc file (Linux,
/// containers with the NVIDIA runtime) or the user-space driver library (WSL2 has no proc file).
/// Looked for once per process (a driver does not come or go while a notebook runs).
pub fn nvidia_driver_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| {
        Path::new("/proc/driver/nvidia/version").exists()
            // SAFETY: libcuda's initialisers only set up the driver API; it is closed at once.
            || unsafe { libloading::Library::new("libcuda.so.1") }.is_ok()
    })
}

/// The directory of the `libtorch_cpu.so` this process runs on (the venv's torch wheel).
fn libtorch_dir() -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    libtorch_dir_in_maps(&maps)
}

/// [`libtorch_dir`] from the text of `/proc/<pid>/maps`.
fn libtorch_dir_in_maps(maps: &str) -> Option<PathBuf> {
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .map(Path::new)
        .find(|p| p.file_name().is_some_and(|n| n == "libtorch_cpu.so"))
        .and_then(Path::parent)
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_libtorch_in_a_maps_listing() {
        let maps = "7f00-7f10 r-xp 00000000 fd:01 42 /venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so\n\
                    7f10-7f20 r--p 00000000 fd:01 43 /usr/lib/x86_64-linux-gnu/libc.so.6\n\
                    7f20-7f30 rw-p 00000000 00:00 0 \n";
        assert_eq!(
            libtorch_dir_in_maps(maps),
            Some(PathBuf::from(
                "/venv/lib/python3.11/site-packages/torch/lib"
            ))
        );
        assert_eq!(
            libtorch_dir_in_maps("7f20-7f30 rw-p 00000000 00:00 0\n"),
            None
        );
    }

    /// This test process runs on libtorch, so its directory is found, and it holds the CUDA
    /// library exactly when the venv's torch wheel has one.
    #[test]
    fn this_process_runs_on_the_venvs_libtorch() {
        let _ = tch::Tensor::zeros([1], (tch::Kind::Float, tch::Device::Cpu));
        let dir = libtorch_dir().expect("libtorch_cpu.so is mapped");
        assert!(dir.join("libtorch_cpu.so").is_file(), "{}", dir.display());
    }
}
