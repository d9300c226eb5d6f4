// Copyright 2026 The Evcxr Authors.
//
// Licensed under the Apache License, Version 2.0 <LICENSE or
// https://www.apache.org/licenses/LICENSE-2.0> or the MIT license <LICENSE
// or https://opensource.org/licenses/MIT>, at your option. This file may not be
// copied, modified, or distributed except according to those terms.

//! Compiling a cell with rustc directly, replaying the command line cargo used last time.
//!
//! Between two evaluations that change neither Cargo.toml nor the build settings, cargo would
//! only confirm that every dependency is up to date (a fingerprint check of each dependency
//! unit, ~0.1 s for a hundred crates) and then run the very same rustc command on the new
//! source. So cargo's build of the cell crate runs rustc through a workspace wrapper (this same
//! binary, see [`RECORD_RUSTC_ENV`]) that records that command, and later evaluations run it
//! directly. Anything that could change the command (the cargo invocation, Cargo.toml,
//! .cargo/config.toml) is part of the recording's key; a different key means a cargo build
//! (and a new recording).
//!
//! Path dependencies are not checked for changed sources while this is on; `:dep` of a path
//! crate turns it off (see `ContextState::add_dep`).

use crate::errors::Error;
use crate::errors::bail;
use anyhow::Context;
use anyhow::Result;
use serde::Deserialize;
use serde::Serialize;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;

/// Set (to the file to write) when the host binary is cargo's `RUSTC_WORKSPACE_WRAPPER`: the
/// wrapper records the command that compiles the cell crate, then runs it.
pub(crate) const RECORD_RUSTC_ENV: &str = "EVCXR_RECORD_RUSTC";

/// Variables that must not be replayed: the jobserver of the cargo run that is gone, and our
/// own wrapper settings.
const NOT_REPLAYED: &[&str] = &[
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTC_WORKSPACE_WRAPPER",
    RECORD_RUSTC_ENV,
];

/// A rustc command line as cargo ran it: program, arguments, environment, directory.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct RustcCommand {
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: String,
}

impl RustcCommand {
    /// The command this process was asked to run as a rustc wrapper (`wrapper rustc args...`),
    /// or None when its arguments or environment are not UTF-8.
    fn from_wrapper_invocation() -> Option<RustcCommand> {
        let mut argv = std::env::args_os().skip(1).map(|a| a.into_string().ok());
        let program = argv.next()??;
        let args = argv.collect::<Option<Vec<_>>>()?;
        let env = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| !NOT_REPLAYED.contains(&k.as_str()))
            .collect();
        let cwd = std::env::current_dir()
            .ok()?
            .into_os_string()
            .into_string()
            .ok()?;
        Some(RustcCommand {
            program,
            args,
            env,
            cwd,
        })
    }

    /// Whether this compiles the crate named `crate_name` (cargo also asks rustc for target
    /// information through the wrapper).
    fn compiles_crate(&self, crate_name: &str) -> bool {
        self.args
            .windows(2)
            .any(|pair| pair[0] == "--crate-name" && pair[1] == crate_name)
    }

    pub(crate) fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd);
        command
    }

    pub(crate) fn read(path: &Path) -> Result<RustcCommand> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("Failed to read the recorded rustc command {path:?}"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// A recorded command and the key it is valid for.
pub(crate) struct Recording {
    pub(crate) key: String,
    pub(crate) command: RustcCommand,
}

/// Runs as cargo's workspace wrapper: records the cell crate's command in the file named by
/// [`RECORD_RUSTC_ENV`] (atomically, so a reader never sees half a file), then runs rustc with
/// the same arguments and exits with its status. Never returns.
pub(crate) fn record_and_run_rustc(crate_name: &str) -> ! {
    let mut args = std::env::args_os().skip(1);
    let Some(rustc) = args.next() else {
        eprintln!("evcxr: rustc wrapper called without a rustc");
        std::process::exit(1);
    };
    if let (Some(file), Some(recorded)) = (
        std::env::var_os(RECORD_RUSTC_ENV),
        RustcCommand::from_wrapper_invocation(),
    ) && recorded.compiles_crate(crate_name)
        && let Err(error) = write_atomically(Path::new(&file), &recorded)
    {
        // The build itself is unaffected: the next evaluation uses cargo again.
        eprintln!("evcxr: could not record the rustc command: {error}");
    }
    let mut command = Command::new(rustc);
    command.args(args).env_remove(RECORD_RUSTC_ENV);
    match command.status() {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(error) => {
            eprintln!("evcxr: failed to run rustc: {error}");
            std::process::exit(1);
        }
    }
}

fn write_atomically(path: &Path, recorded: &RustcCommand) -> Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, serde_json::to_string(recorded)?)?;
    std::fs::rename(&partial, path)?;
    Ok(())
}

/// The shared object rustc reported writing (`--json=artifacts` on its stderr).
pub(crate) fn linked_artifact(rustc_stderr: &[u8]) -> Result<PathBuf, Error> {
    for line in String::from_utf8_lossy(rustc_stderr).lines().rev() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["$message_type"] == "artifact"
            && message["emit"] == "link"
            && let Some(path) = message["artifact"].as_str()
        {
            return Ok(PathBuf::from(path));
        }
    }
    bail!("rustc did not report the shared object it wrote")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> RustcCommand {
        RustcCommand {
            program: "rustc".into(),
            args: args.iter().map(|a| a.to_string()).collect(),
            env: vec![("CARGO_PKG_NAME".into(), "ctx".into())],
            cwd: "/tmp".into(),
        }
    }

    #[test]
    fn only_the_cell_crates_command_is_recorded() {
        assert!(
            command(&["--crate-name", "ctx", "--edition=2024", "src/lib.rs"]).compiles_crate("ctx")
        );
        assert!(
            !command(&["-", "--crate-name", "___", "--print=file-names"]).compiles_crate("ctx")
        );
        assert!(!command(&["-vV"]).compiles_crate("ctx"));
    }

    #[test]
    fn a_recording_survives_the_round_trip_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rustc-command.json");
        let recorded = command(&["--crate-name", "ctx"]);
        write_atomically(&path, &recorded).unwrap();
        assert_eq!(RustcCommand::read(&path).unwrap(), recorded);
        assert!(!path.with_extension("partial").exists());
    }

    #[test]
    fn the_linked_artifact_is_read_from_rustcs_json() {
        let stderr = concat!(
            r#"{"$message_type":"artifact","artifact":"/t/deps/ctx-1.d","emit":"dep-info"}"#,
            "\n",
            r#"{"$message_type":"artifact","artifact":"/t/deps/libctx-1.so","emit":"link"}"#,
            "\n"
        );
        assert_eq!(
            linked_artifact(stderr.as_bytes()).unwrap(),
            PathBuf::from("/t/deps/libctx-1.so")
        );
        assert!(linked_artifact(b"warning: something\n").is_err());
    }
}
