//! Writing the `ferrokeras` kernelspec, so Jupyter lists "Rust (ferrokeras)".

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// The kernelspec's name, as `jupyter kernelspec list` shows it.
pub const KERNEL_NAME: &str = "ferrokeras";

/// The environment the kernel needs, taken from the installing environment: where libtorch,
/// cargo and ferrokeras's caches are.
const CARRIED_ENV: &[&str] = &[
    "LIBTORCH",
    "LIBTORCH_CXX11_ABI",
    "LD_LIBRARY_PATH",
    "FERROKERAS_HOME",
    "FERROKERAS_PRELUDE_DIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "PATH",
];

/// The kernel.json content for a kernel binary at `exe`.
pub fn kernel_json(exe: &Path) -> serde_json::Value {
    let env: serde_json::Map<String, serde_json::Value> = CARRIED_ENV
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v.into())))
        .collect();
    serde_json::json!({
        "argv": [exe.to_string_lossy(), "--connection-file", "{connection_file}"],
        "display_name": "Rust (ferrokeras)",
        "language": "rust",
        "interrupt_mode": "message",
        "env": env,
        "metadata": { "debugger": false },
    })
}

/// Installs the kernelspec into `prefix/share/jupyter/kernels/ferrokeras` (a venv or a
/// system-wide prefix such as /usr/local), or the user's Jupyter data dir when `prefix` is
/// `None`. The file is written atomically.
pub fn install(prefix: Option<&Path>) -> Result<PathBuf> {
    let exe = std::env::current_exe()?.canonicalize()?;
    let base = match prefix {
        Some(p) => p.join("share/jupyter/kernels"),
        None => dirs::data_dir()
            .context("no user data directory")?
            .join("jupyter/kernels"),
    };
    let dir = base.join(KERNEL_NAME);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let json = serde_json::to_string_pretty(&kernel_json(&exe))?;
    let tmp = dir.join("kernel.json.tmp");
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, dir.join("kernel.json"))?;
    Ok(dir)
}
