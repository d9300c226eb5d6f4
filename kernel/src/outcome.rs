//! How evcxr's result for a cell becomes the cell's [`Outcome`]: its value, or the error the
//! notebook shows (compile error, panic, `?` error). A lost cell process is the session's
//! business (it reloads the prelude, see `session`).

use crate::output::{format_compile_error, readable_error};
use crate::session::Outcome;

/// The outcome of `code` from evcxr's `result` and the panic the prelude reported, if any;
/// `keep_backtrace`: see [`readable_error`].
pub fn of_cell(
    result: Result<evcxr::EvalOutputs, evcxr::Error>,
    code: &str,
    panic: Option<String>,
    keep_backtrace: bool,
) -> Outcome {
    match result {
        Err(evcxr::Error::CompilationErrors(errors)) => {
            let mut traceback = Vec::new();
            let mut evalue = String::new();
            for error in &errors {
                let (message, lines) = format_compile_error(error, code);
                if evalue.is_empty() {
                    evalue = message;
                }
                traceback.extend(lines);
            }
            Outcome::Error {
                ename: "CompileError".into(),
                evalue,
                traceback,
            }
        }
        Err(other) => Outcome::Error {
            ename: "Error".into(),
            evalue: other.to_string(),
            traceback: vec![other.to_string()],
        },
        Ok(_) if panic.is_some() => {
            let message = readable_error(&panic.unwrap_or_default(), keep_backtrace);
            Outcome::Error {
                ename: "Panic".into(),
                evalue: message.clone(),
                traceback: vec![
                    format!("thread panicked: {message}"),
                    "Variables this cell defined or moved are gone; all others are kept.".into(),
                ],
            }
        }
        // A `?` returned early: the cell failed even though it ran.
        Ok(evcxr::EvalOutputs {
            user_error: Some(error),
            ..
        }) => {
            let (ename, evalue, traceback) = crate::user_error::describe(&error, keep_backtrace);
            Outcome::Error {
                ename,
                evalue,
                traceback,
            }
        }
        Ok(outputs) => Outcome::Ok(outputs.content_by_mime_type),
    }
}
