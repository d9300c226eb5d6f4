//! The `ferrokeras` prelude, re-exported whole from a shared library.
//!
//! The kernel adds this crate to every session under the name `ferrokeras`
//! (`:dep ferrokeras = { path = ".../kernel/prelude-dylib", package = "ferrokeras-dylib" }`),
//! so cells write `ferrokeras::...` and `use ferrokeras::prelude::*;` exactly as in a
//! program that depends on the `ferrokeras` crate directly.

pub use ferrokeras::*;
