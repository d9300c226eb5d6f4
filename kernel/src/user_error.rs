//! A cell's `?` error as a Jupyter `error` output.
//!
//! evcxr (patched, see `kernel/vendor-evcxr/PATCHES.md`) reports the error's type name, the
//! head of its `Debug` form and its message. The prelude's error enum gets the Python-like
//! name a Keras user knows for its variant (`ValueError`, `FileNotFoundError`, …); any other
//! error is named by its Rust type (`ParseIntError`, `io::Error`).

/// The prelude's error type as `std::any::type_name` spells it.
const PRELUDE_ERROR: &str = "ferrokeras::error::Error";

/// `(ename, evalue, traceback)` for an error a `?` returned; `keep_backtrace`: see
/// [`crate::output::readable_error`].
pub fn describe(
    error: &evcxr::UserCodeError,
    keep_backtrace: bool,
) -> (String, String, Vec<String>) {
    let ename = if error.type_name == PRELUDE_ERROR {
        prelude_kind(&error.debug_head).to_string()
    } else {
        short_type_name(&error.type_name)
    };
    let message = crate::output::readable_error(&error.message, keep_backtrace);
    let traceback = message.lines().map(str::to_string).collect();
    (ename, message, traceback)
}

/// The Python exception a Keras user would see for the same mistake (see the variants'
/// documentation in `prelude/src/error.rs`). A variant added later is shown by its name.
fn prelude_kind(variant: &str) -> &str {
    match variant {
        "Shape" | "UnknownId" | "InvalidArgument" | "InvalidData" | "WeightsMismatch"
        | "CorruptFile" => "ValueError",
        // Keras's `load_model` of a file with a class or option it cannot rebuild.
        "UnsupportedModel" | "LayerConfig" => "ValueError",
        "NotReady" | "Plot" | "Torch" => "RuntimeError",
        "MissingFile" => "FileNotFoundError",
        "Download" => "ConnectionError",
        "Interrupted" => "KeyboardInterrupt",
        // Python's `input()` at the end of input.
        "NoInput" => "EOFError",
        "Io" => "OSError",
        "" => "Error",
        other => other,
    }
}

/// The last path segment of a type without its generic arguments, with the module kept for
/// the many types that are just called `Error` (`std::io::error::Error` → `io::Error`).
fn short_type_name(type_name: &str) -> String {
    let base = type_name.split('<').next().unwrap_or(type_name);
    let segments: Vec<&str> = base.split("::").filter(|s| *s != "error").collect();
    match segments.as_slice() {
        [.., module, "Error"] => format!("{module}::Error"),
        [.., last] if !last.is_empty() => last.to_string(),
        _ => type_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(type_name: &str, debug_head: &str, message: &str) -> evcxr::UserCodeError {
        evcxr::UserCodeError {
            type_name: type_name.into(),
            debug_head: debug_head.into(),
            message: message.into(),
        }
    }

    #[test]
    fn prelude_errors_get_python_like_names() {
        let e = error(
            PRELUDE_ERROR,
            "MissingFile",
            "MNIST: file not found\nsee the guide",
        );
        let (ename, evalue, traceback) = describe(&e, false);
        assert_eq!(ename, "FileNotFoundError");
        assert_eq!(evalue, "MNIST: file not found\nsee the guide");
        assert_eq!(traceback, ["MNIST: file not found", "see the guide"]);
        assert_eq!(
            describe(&error(PRELUDE_ERROR, "UnknownId", "x"), false).0,
            "ValueError"
        );
        assert_eq!(
            describe(&error(PRELUDE_ERROR, "NoInput", "x"), false).0,
            "EOFError"
        );
        assert_eq!(
            describe(&error(PRELUDE_ERROR, "Brand", "x"), false).0,
            "Brand"
        );
    }

    #[test]
    fn other_errors_are_named_by_their_rust_type() {
        let name = |t| describe(&error(t, "", "m"), false).0;
        assert_eq!(name("core::num::error::ParseIntError"), "ParseIntError");
        assert_eq!(name("std::io::error::Error"), "io::Error");
        assert_eq!(name("anyhow::Error"), "anyhow::Error");
        assert_eq!(name("alloc::string::String"), "String");
        assert_eq!(
            name("alloc::boxed::Box<dyn core::error::Error + core::marker::Send>"),
            "Box"
        );
    }
}
