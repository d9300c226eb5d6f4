//! Reporting panics in cell code to the kernel, and libtorch's messages made readable.
//!
//! The kernel calls [`kernel_init`] when it (re)starts the process that runs cells. From then
//! on a panic prints one line `FERROKERAS_PANIC {"message": "..."}` on stdout, which the kernel
//! turns into the cell's `error` reply, instead of a backtrace on stderr.
//!
//! libtorch appends its C++ location and stack frames to every error ("Exception raised from
//! infer_size_impl at …", "frame #0: …", thousands of characters); a student needs only the
//! first line. [`readable_libtorch`] keeps that line for `Error::Torch`'s message unless
//! `FERROKERAS_BACKTRACE=1`. (The kernel shortens panic reports and `?` errors the same way
//! on its side, `kernel/src/output.rs`: it does not link the prelude.)

use std::sync::Once;

/// The prefix of a panic report line on stdout.
pub const PANIC_LINE_PREFIX: &str = "FERROKERAS_PANIC ";

/// Prepares the cell process for the notebook: reads the session's settings from the
/// environment the kernel gave it (`runtime::settings`), makes the session's state
/// process-wide, and installs the panic reporter. Called by the kernel when it starts the cell
/// process and again after a waiting session takes on a notebook's environment; each call
/// reads the settings anew.
pub fn kernel_init() {
    super::session_state::start_session(super::settings::Settings::from_env());
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

/// Whether libtorch's C++ locations and frames are kept (`FERROKERAS_BACKTRACE=1`).
pub fn keep_libtorch_backtrace() -> bool {
    super::settings::setting(|s| s.keep_backtrace)
}

/// Where libtorch's C++ report starts (its source location, or the frames if no location).
const CPP_REPORT_MARKERS: [&str; 2] = ["\nException raised from ", "\nframe #0"];

/// `message` without libtorch's C++ location and stack frames (unless
/// [`keep_libtorch_backtrace`]); messages from elsewhere come back unchanged.
///
/// ```
/// use ferrokeras::runtime::panic::readable_libtorch;
/// let raw = "The size of tensor a (3) must match the size of tensor b (4)\nException raised from infer_size_impl at ExpandUtils.cpp:31\nframe #0: c10::Error::Error()";
/// assert_eq!(readable_libtorch(raw), "The size of tensor a (3) must match the size of tensor b (4)");
/// assert_eq!(readable_libtorch("index out of bounds"), "index out of bounds");
/// ```
pub fn readable_libtorch(message: &str) -> &str {
    if keep_libtorch_backtrace() {
        return message;
    }
    let cut = CPP_REPORT_MARKERS
        .iter()
        .filter_map(|m| message.find(m))
        .min();
    cut.map_or(message, |i| message[..i].trim_end())
}
