//! Reporting panics in cell code to the kernel.
//!
//! The kernel calls [`kernel_init`] when it (re)starts the process that runs cells. From then
//! on a panic prints one line `FERROKERAS_PANIC {"message": "..."}` on stdout, which the kernel
//! turns into the cell's `error` reply, instead of a backtrace on stderr.

use std::sync::Once;

/// The prefix of a panic report line on stdout.
pub const PANIC_LINE_PREFIX: &str = "FERROKERAS_PANIC ";

/// Prepares the cell process for the notebook: installs the panic reporter.
/// Called by the kernel; harmless to call again.
pub fn kernel_init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic with a non-string payload".to_string());
            let line = serde_json::json!({ "message": message });
            println!("{PANIC_LINE_PREFIX}{line}");
        }));
    });
}
