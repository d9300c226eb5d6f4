//! The small runtime that connects prelude code to the notebook: rich display (with
//! display ids that can be updated in place), live progress bars, the interrupt flag, and
//! `input()`.
//!
//! It is deliberately tiny and knows nothing about the kernel's internals. The kernel and
//! the prelude agree on two things only, both set up by the kernel in the environment of the
//! process that runs the cells:
//!
//! * `FERROKERAS_KERNEL=1` — we run inside the ferrokeras kernel, so displays go to the
//!   notebook as lines `FERROKERAS_DISPLAY {json}` on stdout (see [`display`]);
//! * `FERROKERAS_INTERRUPT_FILE=/path` — the kernel creates this file when the user
//!   interrupts a cell (see [`interrupted`]).
//!
//! Outside the kernel (a terminal program, `cargo test`) displays print plain text and
//! progress bars draw with `indicatif`.

pub mod adoption;
pub mod display;
pub mod input;
pub mod interrupt;
pub mod panic;
mod plain_display;
pub mod progress;
pub mod session_state;
pub mod settings;
pub mod tensor_display;

pub use adoption::listen_for_adoption;
pub use display::{display, in_notebook, DisplayHandle, EvcxrDisplay, MimeBundle, Render};
pub use input::input;
pub use interrupt::{check_interrupt, interrupted};
pub use panic::kernel_init;
pub use progress::ProgressBar;
pub use settings::{set_settings, settings, DeviceSetting, Settings};
