//! Tests' way to put a tensor on libtorch's `meta` device, a device other than the CPU that
//! every machine has (shapes and dtypes, no data), to check code that moves tensors between
//! devices without a GPU.
//!
//! tch's `Device` cannot name `meta`, so a TorchScript function does the move: it is written
//! by the venv's own torch (the wheel that libtorch comes from), once per test process.

use std::path::PathBuf;
use std::sync::OnceLock;
use tch::{CModule, Device, Tensor};

/// A TorchScript module whose `forward(x)` returns `x.to("meta")`.
fn to_meta_module() -> &'static CModule {
    static MODULE: OnceLock<(tempfile::TempDir, CModule)> = OnceLock::new();
    &MODULE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let path: PathBuf = dir.path().join("to_meta.pt");
            let script = format!(
                "import torch\n\
                 class ToMeta(torch.nn.Module):\n    \
                     def forward(self, x: torch.Tensor) -> torch.Tensor:\n        \
                         return x.to(torch.device('meta'))\n\
                 torch.jit.script(ToMeta()).save({:?})\n",
                path.display().to_string()
            );
            // TorchScript reads the class's source, so it must come from a file.
            let source = dir.path().join("to_meta.py");
            std::fs::write(&source, script).expect("write the TorchScript source");
            let out = std::process::Command::new("python")
                .arg(&source)
                .output()
                .expect("the venv's python (source kernel/scripts/env.sh) makes the meta module");
            assert!(
                out.status.success(),
                "python could not write the TorchScript module: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let module = CModule::load(&path).expect("load the TorchScript module");
            (dir, module)
        })
        .1
}

/// `x` on the meta device.
pub fn to_meta(x: &Tensor) -> Tensor {
    to_meta_module()
        .forward_ts(&[x])
        .expect("x.to('meta') runs")
}

/// Whether `t` is on the meta device: tch reports devices it cannot name as MPS (which does
/// not exist on Linux), and meta tensors have no data.
pub fn is_meta(t: &Tensor) -> bool {
    t.device() == Device::Mps && t.data_ptr().is_null()
}
