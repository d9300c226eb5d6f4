//! `input(prompt)`: a line from the user, like Python's `input()`.
//!
//! In the notebook the ferrokeras kernel turns a cell's read of stdin into Jupyter's input
//! box, with what the cell printed on that line as the prompt; elsewhere it reads the
//! terminal. When no line can be had — the front end does not allow input (nbconvert,
//! papermill, `jupyter execute`), the user interrupted the wait, stdin is closed — the read
//! sees the end of input and `input` returns an error instead of an empty string that the
//! cell would take for an answer.

use crate::error::{Error, Result};
use std::io::{BufRead, Write};

/// Prints `prompt` (no newline added) and returns the line the user types, without its
/// newline.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// let name = input("Your name: ")?;
/// println!("Hello, {name}!");
/// # Ok::<(), ferrokeras::Error>(())
/// ```
///
/// # Errors
/// [`Error::Interrupted`] when the user interrupted the wait, [`Error::NoInput`] when there
/// is no input (the front end does not allow it, or stdin has ended).
pub fn input(prompt: &str) -> Result<String> {
    // Not locked while reading: the kernel writes on stdout when the read waits.
    read_line(&mut std::io::stdout(), &mut std::io::stdin().lock(), prompt)
}

/// [`input`] on any streams.
fn read_line(out: &mut impl Write, from: &mut impl BufRead, prompt: &str) -> Result<String> {
    write!(out, "{prompt}")?;
    out.flush()?;
    let mut line = String::new();
    if from.read_line(&mut line)? == 0 {
        return Err(if super::interrupted() {
            Error::Interrupted
        } else {
            Error::NoInput
        });
    }
    let end = line.trim_end_matches('\n').trim_end_matches('\r').len();
    line.truncate(end);
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_without_its_newline_after_the_prompt() {
        let mut out = Vec::new();
        let mut from = &b"Ada Lovelace\r\nnext\n"[..];
        assert_eq!(
            read_line(&mut out, &mut from, "Name: ").unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(out, b"Name: ");
        assert_eq!(read_line(&mut out, &mut from, "").unwrap(), "next");
    }

    #[test]
    fn end_of_input_is_an_error_not_an_empty_answer() {
        let err = read_line(&mut Vec::new(), &mut &b""[..], "? ").unwrap_err();
        assert!(matches!(err, Error::NoInput), "{err:?}");
        assert!(err.to_string().contains("no input"), "{err}");
        let mut last = &b"last line without newline"[..];
        assert_eq!(
            read_line(&mut Vec::new(), &mut last, "").unwrap(),
            "last line without newline"
        );
    }
}
