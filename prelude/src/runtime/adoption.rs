//! Taking on a notebook's working directory and environment without compiling a cell.
//!
//! A standby session's cell process starts before any notebook exists. When a kernel adopts
//! the standby, cells must see that notebook's working directory and environment, as in a
//! freshly started kernel. Compiling a cell that sets them took ~0.9 s of every adoption, so
//! during its warm-up the standby calls [`listen_for_adoption`] instead: a thread in the cell
//! process waits on a Unix socket, and the kernel sends it one JSON line on adoption:
//!
//! ```text
//! {"cwd": "/home/student/course", "env": {"NAME": "value", ...},
//!  "own_prefixes": ["EVCXR_", ...], "own_names": ["FERROKERAS_KERNEL", ...]}
//! ```
//!
//! The thread changes to `cwd`; removes every variable that is neither in `env` nor one of
//! the kernel's own (a name in `own_names`, or starting with one of `own_prefixes`); sets
//! those in `env`; sets `FERROKERAS_ADOPTED=1` (so a cell, and a test, can tell); and answers `ok` (or the error).
//! The kernel waits for that answer before it runs the notebook's first cell.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;

/// What the kernel sends on adoption.
#[derive(serde::Deserialize)]
struct Adoption {
    cwd: String,
    env: BTreeMap<String, String>,
    own_prefixes: Vec<String>,
    own_names: Vec<String>,
}

/// Starts a thread that serves one adoption request on a Unix socket at `socket` (replacing a
/// file left there). Returns once the socket listens.
///
/// # Example
/// ```no_run
/// ferrokeras::runtime::listen_for_adoption("/tmp/session/adoption.sock")?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn listen_for_adoption(socket: impl AsRef<Path>) -> std::io::Result<()> {
    let socket = socket.as_ref();
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket)?;
    std::thread::Builder::new()
        .name("ferrokeras-adoption".into())
        .spawn(move || {
            if let Ok((stream, _)) = listener.accept() {
                let mut line = String::new();
                let mut reader = BufReader::new(&stream);
                let answer = match reader.read_line(&mut line) {
                    Ok(_) => apply(&line).map_or_else(|e| e, |()| "ok".to_string()),
                    Err(e) => e.to_string(),
                };
                let _ = writeln!(&stream, "{answer}");
            }
        })?;
    Ok(())
}

fn apply(line: &str) -> Result<(), String> {
    let adoption: Adoption = serde_json::from_str(line).map_err(|e| e.to_string())?;
    std::env::set_current_dir(&adoption.cwd).map_err(|e| format!("{}: {e}", adoption.cwd))?;
    let current = std::env::vars_os().filter_map(|(k, _)| k.into_string().ok());
    // SAFETY (set_var/remove_var): this runs while the cell process waits for its first cell;
    // no user code runs, and the kernel sends nothing until this thread has answered.
    for key in removed(&adoption, current) {
        unsafe { std::env::remove_var(key) };
    }
    for (key, value) in &adoption.env {
        unsafe { std::env::set_var(key, value) };
    }
    unsafe { std::env::set_var("FERROKERAS_ADOPTED", "1") };
    // The session's settings follow the notebook's environment (quick mode, device, data).
    super::session_state::renew_settings(super::settings::Settings::from_env());
    Ok(())
}

/// The variables to remove: neither the notebook's nor the kernel's own.
fn removed(adoption: &Adoption, current: impl Iterator<Item = String>) -> Vec<String> {
    let own = |k: &str| {
        adoption
            .own_prefixes
            .iter()
            .any(|p| k.starts_with(p.as_str()))
            || adoption.own_names.iter().any(|n| n == k)
    };
    current
        .filter(|k| !own(k) && !adoption.env.contains_key(k))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn only_variables_neither_the_notebooks_nor_the_kernels_are_removed() {
        let adoption: Adoption = serde_json::from_str(
            r#"{"cwd": "/", "env": {"NOTEBOOK": "1", "PATH": "/bin"},
                "own_prefixes": ["EVCXR_"], "own_names": ["FERROKERAS_KERNEL"]}"#,
        )
        .unwrap();
        let current = [
            "PATH",
            "NOTEBOOK",
            "STALE",
            "EVCXR_TMPDIR",
            "FERROKERAS_KERNEL",
            "FERROKERAS_KERNEL_NOT_OWN",
            "OTHER",
        ];
        assert_eq!(
            removed(&adoption, current.iter().map(|s| s.to_string())),
            ["STALE", "FERROKERAS_KERNEL_NOT_OWN", "OTHER"]
        );
    }

    #[test]
    fn an_adoption_request_is_applied_and_answered_over_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("adoption.sock");
        listen_for_adoption(&socket).unwrap();
        // This test process's own variables and directory stay (other tests run beside it);
        // one variable is new.
        let mut env: BTreeMap<String, String> = std::env::vars().collect();
        env.insert(
            "FERROKERAS_TEST_ADOPTED_VALUE".into(),
            "a \"quoted\"\nvalue".into(),
        );
        let request = serde_json::json!({
            "cwd": std::env::current_dir().unwrap(), "env": env, "own_prefixes": [], "own_names": [],
        });
        let mut stream = UnixStream::connect(&socket).unwrap();
        writeln!(stream, "{request}").unwrap();
        let mut answer = String::new();
        BufReader::new(&stream).read_line(&mut answer).unwrap();
        assert_eq!(answer.trim(), "ok");
        assert_eq!(
            std::env::var("FERROKERAS_TEST_ADOPTED_VALUE").unwrap(),
            "a \"quoted\"\nvalue"
        );
        assert_eq!(std::env::var("FERROKERAS_ADOPTED").unwrap(), "1");
    }

    #[test]
    fn a_bad_request_is_answered_with_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("adoption.sock");
        listen_for_adoption(&socket).unwrap();
        let mut stream = UnixStream::connect(&socket).unwrap();
        writeln!(
            stream,
            "{{\"cwd\": \"/no/such/dir\", \"env\": {{}}, \"own_prefixes\": [], \"own_names\": []}}"
        )
        .unwrap();
        let mut answer = String::new();
        BufReader::new(&stream).read_line(&mut answer).unwrap();
        assert!(answer.starts_with("/no/such/dir: "), "{answer}");
    }
}
