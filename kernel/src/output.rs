//! Turning what the cell process prints into Jupyter messages.
//!
//! The prelude's runtime writes two kinds of special lines on stdout (its contract with the
//! kernel, documented in `prelude/src/runtime/display.rs`):
//! `FERROKERAS_DISPLAY {json}` for a display or an in-place update, and
//! `FERROKERAS_PANIC {json}` for a panic in cell code. Everything else is ordinary output.

use serde::Deserialize;

/// The prefix of a display line (see the prelude's `runtime::display`).
pub const DISPLAY_PREFIX: &str = "FERROKERAS_DISPLAY ";
/// The prefix of a panic report (see the prelude's `runtime::panic`).
pub const PANIC_PREFIX: &str = "FERROKERAS_PANIC ";

/// A display request from the prelude.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DisplayRequest {
    /// `display` (a new output) or `update` (replace an earlier one in place).
    pub op: String,
    /// The Jupyter display id.
    pub display_id: String,
    /// MIME type → content.
    pub data: serde_json::Map<String, serde_json::Value>,
    /// Display metadata.
    #[serde(default)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// A panic report from the prelude's panic hook.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PanicReport {
    /// The panic message.
    pub message: String,
}

/// What one stdout line of the cell process means.
#[derive(Debug, PartialEq)]
pub enum StdoutLine {
    /// Plain text for the `stdout` stream.
    Text(String),
    /// A display or display update.
    Display(DisplayRequest),
    /// A panic in cell code.
    Panic(PanicReport),
}

/// Classifies one line; a malformed special line is passed through as text so nothing is lost.
pub fn classify(line: String) -> StdoutLine {
    if let Some(json) = line.strip_prefix(DISPLAY_PREFIX) {
        if let Ok(d) = serde_json::from_str::<DisplayRequest>(json) {
            return StdoutLine::Display(d);
        }
    } else if let Some(json) = line.strip_prefix(PANIC_PREFIX) {
        if let Ok(p) = serde_json::from_str::<PanicReport>(json) {
            return StdoutLine::Panic(p);
        }
    }
    StdoutLine::Text(line)
}

/// Where libtorch's C++ report (source location, then stack frames) starts in a message:
/// with real line breaks in a `?` error's text, `Debug`-escaped (`\\n`) in the panic of an
/// `.unwrap()` on a `TchError` (what tch's tensor operators do).
const LIBTORCH_REPORT: [&str; 4] = [
    "\nException raised from ",
    "\nframe #0",
    "\\nException raised from ",
    "\\nframe #0",
];

/// The panic message tch's operators give: `Torch("…")` unwrapped.
const UNWRAPPED_TORCH: &str = "called `Result::unwrap()` on an `Err` value: Torch(\"";

/// An error text as the notebook shows it: libtorch's first line without its C++ location
/// and frames (9 000 characters for a shape mismatch), and a tensor operator's panic as
/// `libtorch: <message>`. With `keep` (`FERROKERAS_BACKTRACE=1`) nothing changes.
///
/// The prelude's `Error::Torch` does the same for its own message
/// (`prelude/src/runtime/panic.rs`); the kernel cannot call it, as it does not link libtorch.
pub fn readable_error(message: &str, keep: bool) -> String {
    if keep {
        return message.to_string();
    }
    let Some(cut) = LIBTORCH_REPORT.iter().filter_map(|m| message.find(m)).min() else {
        return message.to_string();
    };
    let first = message[..cut].trim_end();
    match first.strip_prefix(UNWRAPPED_TORCH) {
        Some(inner) => format!(
            "libtorch: {}",
            inner.replace("\\\"", "\"").replace("\\\\", "\\")
        ),
        None => first.to_string(),
    }
}

/// A compile error as Jupyter's `error` content: rustc's message, then the offending line of
/// the user's cell with a caret under the span and `line:column`, then rustc's help.
pub fn format_compile_error(error: &evcxr::CompilationError, cell: &str) -> (String, Vec<String>) {
    let mut traceback = Vec::new();
    let code = error.code().map(|c| format!("[{c}]")).unwrap_or_default();
    traceback.push(format!("error{code}: {}", error.message()));
    for spanned in error.spanned_messages() {
        if let Some(span) = &spanned.span {
            traceback.push(format!(
                " --> cell:{}:{}",
                span.start_line, span.start_column
            ));
            if let Some(src) = cell.lines().nth(span.start_line.saturating_sub(1)) {
                traceback.push(format!("  | {src}"));
                let width = if span.end_line == span.start_line {
                    span.end_column.saturating_sub(span.start_column).max(1)
                } else {
                    1
                };
                traceback.push(format!(
                    "  | {}{} {}",
                    " ".repeat(span.start_column.saturating_sub(1)),
                    "^".repeat(width),
                    spanned.label
                ));
            }
        } else if !spanned.label.is_empty() {
            traceback.push(spanned.label.clone());
        }
    }
    for help in error.help() {
        traceback.push(format!("help: {help}"));
    }
    (error.message(), traceback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_lines_are_recognised() {
        let line = r#"FERROKERAS_DISPLAY {"op":"update","display_id":"d1","data":{"text/plain":"x"},"metadata":{}}"#;
        match classify(line.to_string()) {
            StdoutLine::Display(d) => {
                assert_eq!(d.op, "update");
                assert_eq!(d.display_id, "d1");
                assert_eq!(d.data["text/plain"], "x");
            }
            other => panic!("not a display: {other:?}"),
        }
    }

    #[test]
    fn malformed_special_lines_stay_text() {
        let line = "FERROKERAS_DISPLAY {not json".to_string();
        assert_eq!(classify(line.clone()), StdoutLine::Text(line));
        assert_eq!(classify("hello".into()), StdoutLine::Text("hello".into()));
    }

    const SHAPES: &str =
        "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1";

    #[test]
    fn libtorch_panics_keep_the_first_line() {
        let raw = format!(
            "called `Result::unwrap()` on an `Err` value: Torch(\"{SHAPES}\\nException raised from infer_size_impl at /pytorch/aten/src/ATen/ExpandUtils.cpp:31 (most recent call first):\\nframe #0: c10::Error::Error(c10::SourceLocation) + 0x98\")"
        );
        assert_eq!(readable_error(&raw, false), format!("libtorch: {SHAPES}"));
        assert_eq!(readable_error(&raw, true), raw);
        let plain = format!("Internal torch error: {SHAPES}\nframe #0: c10::Error::Error()");
        assert_eq!(
            readable_error(&plain, false),
            format!("Internal torch error: {SHAPES}")
        );
        let other = "index out of bounds: the len is 3 but the index is 7";
        assert_eq!(readable_error(other, false), other);
    }

    #[test]
    fn panic_lines_carry_the_message() {
        let line = r#"FERROKERAS_PANIC {"message":"index out of bounds"}"#.to_string();
        assert_eq!(
            classify(line),
            StdoutLine::Panic(PanicReport {
                message: "index out of bounds".into()
            })
        );
    }
}
