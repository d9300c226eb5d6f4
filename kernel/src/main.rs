//! `ferrokeras-kernel`: the Jupyter kernel for Rust with the ferrokeras prelude pre-loaded.
//!
//! ```text
//! ferrokeras-kernel --connection-file FILE   run as a Jupyter kernel (what kernel.json says)
//! ferrokeras-kernel install [--user | --sys-prefix | --prefix DIR] [--env K=V]...
//!                                             install the "ferrokeras" kernelspec
//! ferrokeras-kernel uninstall [--user | --sys-prefix | --prefix DIR]
//! ferrokeras-kernel warm [--session-root DIR] compile the prelude into the build cache
//! ferrokeras-kernel standby [--session-root DIR]  a pre-started session for the next kernel
//! ```

mod available_memory;
mod forward;
mod history;
mod install;
mod interrupt;
mod is_complete;
mod logo;
mod memory;
mod orphan;
mod outcome;
mod output;
mod reachable;
mod requests;
mod server;
mod session;
mod session_dir;
mod standby;
mod standby_warmup;
mod stdin;
mod timing;
mod user_error;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() -> Result<()> {
    if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
        // This process runs cells. Interrupts reach it as the flag file, never as SIGINT (a
        // client may signal the kernel's whole process group), so that it is never killed
        // by an interrupt that the prelude could have handled.
        unsafe {
            libc::signal(libc::SIGINT, libc::SIG_IGN);
        }
    }
    // Returns only when this process is the kernel itself (not the cell process or the rustc
    // wrapper that evcxr also runs this binary as).
    evcxr::runtime_hook();
    memory::settle_allocator();

    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--connection-file") | Some("kernel") => {
            let file = args.get(1).context("missing connection file")?;
            // A waiting standby session serves this kernel; this process only relays signals.
            let build = build_identity();
            if let Some(stream) = standby::try_adopt(&session_root(None), Path::new(file), &build)
            {
                return standby::proxy(stream);
            }
            run_kernel(Path::new(file))
        }
        Some("install") => {
            let dir = install::install(&install::Options::parse(&args[1..])?)?;
            println!("Installed kernelspec ferrokeras in {}", dir.display());
            Ok(())
        }
        Some("uninstall") => {
            let dir = install::uninstall(&install::Options::parse(&args[1..])?)?;
            println!("Removed kernelspec ferrokeras from {}", dir.display());
            Ok(())
        }
        Some("warm") => warm(flag_value(&args, "--session-root").map(PathBuf::from)),
        Some("standby") => run_standby(session_root(
            flag_value(&args, "--session-root").map(PathBuf::from),
        )),
        Some("--version") => {
            println!("ferrokeras-kernel {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        _ => bail!(
            "usage: ferrokeras-kernel --connection-file FILE | install [--user|--sys-prefix|--prefix DIR] [--env K=V]... | uninstall [--user|--sys-prefix|--prefix DIR] | warm [--session-root DIR] | standby [--session-root DIR]"
        ),
    }
}

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn ferrokeras_home() -> PathBuf {
    std::env::var_os("FERROKERAS_HOME")
        .map(PathBuf::from)
        .or_else(|| dirs::cache_dir().map(|d| d.join("ferrokeras")))
        .unwrap_or_else(|| std::env::temp_dir().join("ferrokeras"))
}

/// The repository the session's prelude comes from: the parent of `FERROKERAS_PRELUDE_DIR`,
/// else the one this kernel was built from.
fn prelude_repo() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let prelude_dir = std::env::var_os("FERROKERAS_PRELUDE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("prelude"));
    let prelude_dir = prelude_dir.canonicalize().unwrap_or(prelude_dir);
    prelude_dir.parent().map_or(repo, Path::to_path_buf)
}

/// This kernel's binary and the prelude sources its sessions load (see `standby`).
fn build_identity() -> String {
    let repo = prelude_repo();
    standby::build_identity(&[&repo.join("prelude"), &repo.join("kernel/prelude-dylib")])
}

/// Where the prelude crate is, and beside it the repository's lock file and the prelude's
/// shared-library crate.
fn session_config(session_dir: PathBuf) -> session::SessionConfig {
    let repo = prelude_repo();
    session::SessionConfig {
        lockfile: Some(repo.join("Cargo.lock")),
        prelude_dylib_dir: repo.join("kernel/prelude-dylib"),
        session_dir,
        offline: std::env::var("FERROKERAS_ONLINE").map_or(true, |v| v != "1"),
        standby_root: None,
        waits_for_adoption: false,
    }
}

/// Where session slots (and the standby's socket) live: `$FERROKERAS_HOME/sessions`.
fn session_root(root: Option<PathBuf>) -> PathBuf {
    root.unwrap_or_else(|| ferrokeras_home().join("sessions"))
}

/// Takes a session slot and sets the environment the cell process inherits. Must run before
/// any thread starts (it sets environment variables).
fn prepare_session(root: Option<PathBuf>) -> Result<(session_dir::Slot, session::SessionConfig)> {
    let root = session_root(root);
    let slot = session_dir::take_slot(&root)?;
    forget_cargo_package_env();
    std::env::set_var("EVCXR_TMPDIR", &slot.dir);
    std::env::set_var("FERROKERAS_KERNEL", "1");
    std::env::set_var(
        "FERROKERAS_INTERRUPT_FILE",
        slot.dir.with_extension("interrupt"),
    );
    add_rust_std_to_library_path();
    let config = session_config(slot.dir.clone());
    write_evcxr_config(&slot.dir, config.offline)?;
    Ok((slot, config))
}

/// Removes the variables cargo sets for a package it builds or runs (`CARGO_MANIFEST_DIR`,
/// `CARGO_PKG_NAME`, `OUT_DIR`, …), present when the kernel is started by `cargo test` or
/// `cargo run`.
///
/// Why: the session's cargo inherits them, and build scripts such as ring's ask to be re-run
/// when they change (`rerun-if-env-changed=CARGO_PKG_NAME`). A kernel started from the tests
/// then rebuilt ring, rustls, ureq and the prelude in its slot, and the next kernel started by
/// Jupyter (without them) rebuilt them back. Cargo's own settings (`CARGO_HOME`, …) stay.
fn forget_cargo_package_env() {
    const EXACT: [&str; 9] = [
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_TARGET_TMPDIR",
        "CARGO_RUSTC_CURRENT_DIR",
        "OUT_DIR",
    ];
    const PREFIXES: [&str; 3] = ["CARGO_PKG_", "CARGO_CFG_", "CARGO_BIN_EXE_"];
    let package_vars: Vec<_> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|n| EXACT.contains(&n.as_str()) || PREFIXES.iter().any(|p| n.starts_with(p)))
        .collect();
    for name in package_vars {
        std::env::remove_var(name);
    }
}

/// evcxr's settings for this session, in our own config file: pointing `EVCXR_CONFIG_DIR` at it
/// keeps a user's personal evcxr configuration (extra deps, prelude) out of the kernel.
///
/// evcxr's own shared-library mode stays off (evcxr 0.22's fails with this toolchain: "only
/// metadata stub found for `dylib` dependency `core`"); instead the session depends on the
/// prelude through `kernel/prelude-dylib`, one shared library that cargo builds and every cell
/// links against, so a cell's link is small and all cells share the prelude's statics.
fn write_evcxr_config(slot_dir: &Path, offline: bool) -> Result<()> {
    let dir = slot_dir.with_extension("evcxr");
    std::fs::create_dir_all(&dir)?;
    let toml = format!("[evcxr]\noffline_mode = {offline}\n");
    let path = dir.join("evcxr.toml");
    let tmp = dir.join("evcxr.toml.tmp");
    std::fs::write(&tmp, toml)?;
    std::fs::rename(&tmp, &path)?;
    std::env::set_var("EVCXR_CONFIG_DIR", &dir);
    Ok(())
}

/// Cells are compiled with `-C prefer-dynamic`, so the cell process must find the toolchain's
/// `libstd-*.so`; when Jupyter starts the kernel directly (not through rustup's proxies) nothing
/// else puts it on the library path.
fn add_rust_std_to_library_path() {
    let libdir = std::process::Command::new("rustc")
        .args(["--print", "target-libdir"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(libdir) = libdir {
        let mut path = std::ffi::OsString::from(libdir);
        if let Some(old) = std::env::var_os("LD_LIBRARY_PATH") {
            path.push(":");
            path.push(old);
        }
        std::env::set_var("LD_LIBRARY_PATH", path);
    }
}

fn grace_period() -> Duration {
    let ms = std::env::var("FERROKERAS_INTERRUPT_GRACE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    Duration::from_millis(ms)
}

fn read_connection_file(path: &Path) -> Result<jupyter_protocol::ConnectionInfo> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).context("parsing the connection file")
}

/// The interrupter of a session that `prepare_session` set up (its flag file is in the slot).
fn session_interrupter() -> Arc<interrupt::Interrupter> {
    interrupt::Interrupter::new(
        PathBuf::from(std::env::var_os("FERROKERAS_INTERRUPT_FILE").unwrap_or_default()),
        grace_period(),
    )
}

/// Serves Jupyter on `info`'s sockets until shutdown (or, with `ends_with_parent`, until the
/// process that started this one ends: see `orphan`), then ends the process.
fn serve_then_exit(
    info: jupyter_protocol::ConnectionInfo,
    jobs: crossbeam_channel::Sender<session::Job>,
    interrupter: Arc<interrupt::Interrupter>,
    out: (
        tokio::sync::mpsc::UnboundedSender<session::Output>,
        tokio::sync::mpsc::UnboundedReceiver<session::Output>,
    ),
    asks: tokio::sync::mpsc::UnboundedReceiver<stdin::Ask>,
    ends_with_parent: bool,
) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        tokio::select! {
            served = server::serve(info, jobs, interrupter, (out.0, out.1), asks) => served,
            _ = orphan::parent_ended(), if ends_with_parent => {
                eprintln!("ferrokeras: the Jupyter server that started this kernel is gone");
                Ok(())
            }
        }
    })?;
    // Let the iopub task send the last status messages.
    runtime.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });
    // Ending the process kills the cell process too (evcxr's handle kills it on drop, but we do
    // not wait for the executor thread, which may be inside a long cell).
    std::process::exit(0)
}

/// Runs `code` as a cell of no client's (start-up and warm-up work) and waits for it.
fn execute_hidden(
    jobs: &crossbeam_channel::Sender<session::Job>,
    code: &str,
) -> Result<session::Outcome> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    jobs.send(session::Job::Execute {
        code: code.into(),
        parent: Box::new(jupyter_protocol::JupyterMessage::new(
            jupyter_protocol::ExecuteRequest::new(code.into()),
            None,
        )),
        reply: tx,
    })?;
    Ok(rx.blocking_recv()?)
}

fn run_kernel(connection_file: &Path) -> Result<()> {
    let info = read_connection_file(connection_file)?;
    let (_slot, mut config) = prepare_session(None)?;
    config.standby_root = Some(session_root(None));
    let interrupter = session_interrupter();
    let (out_tx, out_rx) = tokio::sync::mpsc::unbounded_channel();
    let (prompter, asks) = stdin::channel();
    let jobs = session::start(config, Arc::clone(&interrupter), out_tx.clone(), prompter);
    serve_then_exit(info, jobs, interrupter, (out_tx, out_rx), asks, true)
}

/// A standby session (see `standby`): starts and warms a session, waits to be adopted by a
/// starting kernel, then serves that kernel's connection file.
fn run_standby(root: PathBuf) -> Result<()> {
    let Some(lock) = standby::Waiting::lock(&root)? else {
        return Ok(()); // another standby is starting or waiting
    };
    let build = build_identity();
    let (_slot, mut config) = prepare_session(Some(root.clone()))?;
    config.waits_for_adoption = true;
    let adoption_socket = standby::adoption_socket(&config.session_dir);
    let warm_up_code = standby::warm_up_code(&config.session_dir);
    let interrupter = session_interrupter();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel();
    // The adopting kernel's cells prompt on the stdin socket this process binds once adopted.
    let (prompter, asks) = stdin::channel();
    let jobs = session::start(config, Arc::clone(&interrupter), out_tx.clone(), prompter);
    // A first cell: the prelude is loaded and linked, and the cell process listens for the
    // adoption. rust-analyzer warms up only once adopted (`SessionConfig::waits_for_adoption`).
    if let session::Outcome::Error { evalue, .. } = execute_hidden(&jobs, &warm_up_code)? {
        bail!("standby session failed to start: {evalue}");
    }
    let waiting = standby::Waiting::listen(&root, lock)?;
    let adopted = Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let adopted = Arc::clone(&adopted);
        let socket = waiting.socket().to_path_buf();
        std::thread::spawn(move || {
            std::thread::sleep(standby::IDLE_LIMIT);
            if !adopted.load(std::sync::atomic::Ordering::SeqCst) {
                let _ = std::fs::remove_file(socket);
                std::process::exit(0);
            }
        });
    }
    let Some((request, stream)) = waiting.accept(&build)? else {
        eprintln!("ferrokeras: a kernel of another build asked; this out-of-date standby ends");
        return Ok(());
    };
    adopted.store(true, std::sync::atomic::Ordering::SeqCst);
    let adopted_at = Instant::now();
    let _ = std::env::set_current_dir(&request.cwd);
    // Without compiling a cell; should that fail, the adoption code does the same.
    let applied = match standby::hand_over(&adoption_socket, &request) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("ferrokeras: {e:#}; compiling the adoption instead");
            false
        }
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    jobs.send(session::Job::Adopt {
        code: standby::adoption_code(&request),
        applied,
        standby_root: root,
        reply: tx,
    })?;
    if let Err(e) = rx.blocking_recv()? {
        eprintln!("ferrokeras: standby could not take over the environment: {e}");
    }
    // What the warm-up and the adoption printed is nobody's output.
    while out_rx.try_recv().is_ok() {}
    let on_interrupt = Arc::clone(&interrupter);
    standby::follow_adopter(stream, move || on_interrupt.interrupt());
    eprintln!(
        "ferrokeras: standby adopted for {} ({:.2}s)",
        request.connection_file.display(),
        adopted_at.elapsed().as_secs_f64()
    );
    let info = read_connection_file(&request.connection_file)?;
    // Its parent is the kernel that started it, not the adopter's Jupyter server: it ends
    // when the adopting proxy does (`follow_adopter`), and the proxy with its server.
    serve_then_exit(info, jobs, interrupter, (out_tx, out_rx), asks, false)
}

/// Compiles the prelude into the session cache and runs a first cell, printing timings.
fn warm(root: Option<PathBuf>) -> Result<()> {
    let start = Instant::now();
    let (_slot, config) = prepare_session(root)?;
    println!("session dir: {}", config.session_dir.display());
    let interrupter =
        interrupt::Interrupter::new(std::env::temp_dir().join("unused"), grace_period());
    let (out_tx, mut out_rx) = tokio::sync::mpsc::unbounded_channel();
    // No client to ask: a cell reading stdin sees the end of input.
    let (prompter, _) = stdin::channel();
    let jobs = session::start(config, interrupter, out_tx, prompter);
    let outcome = execute_hidden(&jobs, "Tensor::from_slice(&[1.0f32, 2.0, 3.0])")?;
    while let Ok(out) = out_rx.try_recv() {
        if let jupyter_protocol::JupyterMessageContent::StreamContent(s) = out.content {
            print!("{}", s.text);
        }
    }
    match outcome {
        session::Outcome::Ok(data) => {
            println!(
                "{}",
                data.get("text/plain").map(String::as_str).unwrap_or("")
            );
            println!(
                "warm: first result after {:.1}s",
                start.elapsed().as_secs_f64()
            );
            std::process::exit(0)
        }
        session::Outcome::Error {
            evalue, traceback, ..
        } => bail!("warm-up cell failed: {evalue}\n{}", traceback.join("\n")),
    }
}
