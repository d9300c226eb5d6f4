//! A pre-started session that the next kernel start adopts.
//!
//! Why: most of a kernel's start (≈ 12 s on 2 cores) is evcxr's rust-analyzer loading the
//! sources of the standard library, the prelude and tch, work that does not depend on the
//! notebook. So after a
//! kernel has served its first cell it starts one *standby* (`ferrokeras-kernel standby`): a
//! process that starts a session, loads the prelude, warms the analyzer and then waits on a Unix
//! socket. The next `ferrokeras-kernel --connection-file F` that Jupyter launches hands `F`, its
//! working directory and its environment to the standby and stays alive as a thin proxy: it
//! forwards SIGINT and ends when the standby ends, and the standby ends when the proxy does.
//! Before serving, the standby gives its cell process the notebook's working directory and
//! environment, so cells see what they would see in a freshly started kernel.
//!
//! A standby serves only a kernel of the same build: same kernel binary, same prelude sources
//! ([`build_identity`]). One started before an update (set-up rebuilt the kernel, the prelude
//! changed) refuses the adoption and exits, and the kernel starts its own session.
//!
//! `FERROKERAS_STANDBY=0` turns this off. A standby nobody adopts exits after an hour. None is
//! started while the machine — or the kernel's cgroup, in a container or under a hub's memory
//! limit — has less memory available than a standby holds with room to spare
//! ([`MIN_AVAILABLE_MB`], `FERROKERAS_STANDBY_MIN_FREE_MB` to change it): on a laptop already
//! short of memory, the next start being 4–5 s instead of 1.2 s is better than swapping.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long an unadopted standby waits before it exits.
pub const IDLE_LIMIT: Duration = Duration::from_secs(3600);

/// The memory the machine must have available (MB) for a new standby: about twice what a
/// waiting standby holds (≈ 0.65 GB), so that it never pushes the notebooks in use into swap.
pub const MIN_AVAILABLE_MB: u64 = 2048;

/// What a starting kernel hands to the standby.
#[derive(Debug, Serialize, Deserialize)]
pub struct Adoption {
    /// Jupyter's connection file for the new kernel.
    pub connection_file: PathBuf,
    /// The working directory Jupyter started the kernel in (the notebook's folder).
    pub cwd: PathBuf,
    /// The kernel's environment (kernelspec `env`, variables a test or launcher set).
    pub env: BTreeMap<String, String>,
    /// The adopting kernel's [`build_identity`].
    #[serde(default)]
    pub build: String,
}

/// What a standby must share with the kernel that adopts it: this kernel binary (its path and
/// modification time) and the prelude sources it loads (the newest modification time under
/// each of `sources`). Computed when a process starts, before anything could replace its
/// binary.
pub fn build_identity(sources: &[&Path]) -> String {
    let exe = std::env::current_exe().unwrap_or_default();
    let mut id = format!("{}@{}", exe.display(), modified_nanos(&exe));
    for dir in sources {
        id.push_str(&format!(";{}@{}", dir.display(), newest_nanos(dir)));
    }
    id
}

fn modified_nanos(path: &Path) -> u128 {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// The newest modification time of a file below `dir` (hidden entries skipped).
fn newest_nanos(dir: &Path) -> u128 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return modified_nanos(dir);
    };
    entries
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                newest_nanos(&path)
            } else {
                modified_nanos(&path)
            }
        })
        .max()
        .unwrap_or(0)
}

/// Whether standbys are used (`FERROKERAS_STANDBY` is not `0`).
pub fn enabled() -> bool {
    std::env::var("FERROKERAS_STANDBY").map_or(true, |v| v != "0")
}

fn socket_path(root: &Path) -> PathBuf {
    root.join("standby.sock")
}

fn lock_path(root: &Path) -> PathBuf {
    root.join("standby.lock")
}

/// Hands `connection_file` to a waiting standby. `None` when there is none (or it did not
/// answer): the caller then starts a session itself.
pub fn try_adopt(root: &Path, connection_file: &Path, build: &str) -> Option<UnixStream> {
    if !enabled() {
        return None;
    }
    let socket = socket_path(root);
    let mut stream = match UnixStream::connect(&socket) {
        Ok(stream) => stream,
        Err(e) => {
            // A socket file nobody listens on was left by a standby that was killed; with the
            // lock free no standby is starting either, so it can go.
            if e.kind() == std::io::ErrorKind::ConnectionRefused && no_standby_holds_lock(root) {
                let _ = std::fs::remove_file(&socket);
            }
            return None;
        }
    };
    let request = Adoption {
        connection_file: std::fs::canonicalize(connection_file).ok()?,
        cwd: std::env::current_dir().ok()?,
        env: std::env::vars().collect(),
        build: build.to_string(),
    };
    let mut line = serde_json::to_string(&request).ok()?;
    line.push('\n');
    stream.write_all(line.as_bytes()).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut answer = String::new();
    BufReader::new(stream.try_clone().ok()?)
        .read_line(&mut answer)
        .ok()?;
    stream.set_read_timeout(None).ok()?;
    (answer.trim() == "ok").then_some(stream)
}

/// Whether the standby lock is free: no standby is starting or waiting.
fn no_standby_holds_lock(root: &Path) -> bool {
    File::create(lock_path(root)).is_ok_and(|lock| lock.try_lock().is_ok())
}

/// The adopting kernel's life after the hand-over: forwards SIGINT to the standby as an
/// interrupt, and returns when the standby ends, on SIGTERM, or when the Jupyter server that
/// started it is gone (see `orphan`); the standby exits when this end of the socket closes.
pub fn proxy(stream: UnixStream) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::signal::unix::{signal, SignalKind};
    stream.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let stream = tokio::net::UnixStream::from_std(stream)?;
        let (mut from_standby, mut to_standby) = stream.into_split();
        let mut sigint = signal(SignalKind::interrupt())?;
        let mut sigterm = signal(SignalKind::terminate())?;
        let mut buf = [0u8; 64];
        let server_gone = crate::orphan::parent_ended();
        tokio::pin!(server_gone);
        loop {
            tokio::select! {
                _ = sigint.recv() => { to_standby.write_all(b"interrupt\n").await?; }
                _ = sigterm.recv() => return Ok(()),
                _ = &mut server_gone => return Ok(()),
                n = from_standby.read(&mut buf) => {
                    if matches!(n, Ok(0) | Err(_)) {
                        return Ok(());
                    }
                }
            }
        }
    })
}

/// Whether this kernel has `min_mb` of memory available, under its cgroup's limit too (true
/// where it cannot tell).
fn has_available_mb(min_mb: u64) -> bool {
    crate::available_memory::available_mb().is_none_or(|mb| mb >= min_mb)
}

/// Starts a standby in the background unless one is already starting or waiting, or the
/// machine has less than [`MIN_AVAILABLE_MB`] (or `FERROKERAS_STANDBY_MIN_FREE_MB`) available.
/// The standby while it warms up, to be paused during this kernel's cells.
pub fn spawn_if_none(root: &Path) -> Option<crate::standby_warmup::WarmingStandby> {
    let min_mb = std::env::var("FERROKERAS_STANDBY_MIN_FREE_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(MIN_AVAILABLE_MB);
    spawn_if_memory(root, min_mb)
}

fn spawn_if_memory(root: &Path, min_mb: u64) -> Option<crate::standby_warmup::WarmingStandby> {
    if !enabled() {
        return None;
    }
    if !has_available_mb(min_mb) {
        eprintln!(
            "ferrokeras: no standby session started: less memory available than a standby needs"
        );
        return None;
    }
    if !no_standby_holds_lock(root) {
        return None; // a standby holds the lock: starting or waiting
    }
    let exe = std::env::current_exe().ok()?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.join("standby.log"));
    let mut command = std::process::Command::new(exe);
    command
        .arg("standby")
        .arg("--session-root")
        .arg(root)
        .stdin(std::process::Stdio::null());
    if let Ok(log) = log {
        if let Ok(err) = log.try_clone() {
            command.stdout(log).stderr(err);
        }
    }
    // Its own process group: an interrupt sent to this kernel's group must not reach it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    crate::standby_warmup::resume_when_this_thread_ends(&mut command);
    match command.spawn() {
        Ok(child) => Some(crate::standby_warmup::WarmingStandby::new(
            child,
            socket_path(root),
        )),
        Err(e) => {
            eprintln!("ferrokeras: could not start a standby session: {e}");
            None
        }
    }
}

/// The standby's side: holds the lock while it lives, so only one standby exists per root.
pub struct Waiting {
    _lock: File,
    listener: UnixListener,
    socket: PathBuf,
}

impl Waiting {
    /// Takes the standby lock; `None` if another standby has it.
    pub fn lock(root: &Path) -> Result<Option<File>> {
        std::fs::create_dir_all(root)?;
        let lock = File::create(lock_path(root))?;
        Ok(lock.try_lock().ok().map(|_| lock))
    }

    /// Starts listening (after the session is warm).
    pub fn listen(root: &Path, lock: File) -> Result<Waiting> {
        let socket = socket_path(root);
        // A socket file left by a standby that died; we hold the lock, so it is not in use.
        let _ = std::fs::remove_file(&socket);
        let listener =
            UnixListener::bind(&socket).with_context(|| format!("binding {}", socket.display()))?;
        Ok(Waiting {
            _lock: lock,
            listener,
            socket,
        })
    }

    /// The socket's path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Waits for a kernel to adopt this session; answers it and returns its request and the
    /// connection to it. The socket and the lock are released, so another standby can start.
    /// `None` when the kernel is of another build than `build` (this standby is out of date):
    /// it is told so, and starts its own session.
    pub fn accept(self, build: &str) -> Result<Option<(Adoption, UnixStream)>> {
        loop {
            let (mut stream, _) = self.listener.accept()?;
            let mut line = String::new();
            stream.set_read_timeout(Some(Duration::from_secs(10)))?;
            if BufReader::new(stream.try_clone()?)
                .read_line(&mut line)
                .is_err()
            {
                continue;
            }
            let Ok(request) = serde_json::from_str::<Adoption>(&line) else {
                continue;
            };
            stream.set_read_timeout(None)?;
            let _ = std::fs::remove_file(&self.socket);
            if request.build != build {
                stream.write_all(b"other build\n")?;
                return Ok(None);
            }
            stream.write_all(b"ok\n")?;
            return Ok(Some((request, stream)));
        }
    }
}

/// Variables the kernel sets for its own session, which adoption leaves alone: these prefixes
/// and names (the same lists are written into the adoption code).
const OWN_PREFIXES: [&str; 2] = ["EVCXR_", "FERROKERAS_STATE_"];
const OWN_NAMES: [&str; 3] = [
    "FERROKERAS_KERNEL",
    "FERROKERAS_INTERRUPT_FILE",
    "LD_LIBRARY_PATH",
];

fn is_own(key: &str) -> bool {
    OWN_PREFIXES.iter().any(|p| key.starts_with(p)) || OWN_NAMES.contains(&key)
}

/// Where the standby's cell process listens for the adoption (see `hand_over`).
pub fn adoption_socket(session_dir: &Path) -> PathBuf {
    session_dir.join("adoption.sock")
}

/// The code of a standby's first cell: loads the prelude and has the cell process listen for
/// the adoption (`ferrokeras::runtime::listen_for_adoption`), then prepares the device the
/// adopting kernel's environment asks for (`FERROKERAS_DEVICE`).
pub fn warm_up_code(session_dir: &Path) -> String {
    format!(
        "ferrokeras::runtime::listen_for_adoption({:?}).map_err(ferrokeras::Error::from)?;\nferrokeras::backend::init_device();",
        adoption_socket(session_dir)
    )
}

/// Gives the cell process the adopting kernel's working directory and environment over the
/// socket it listens on, without compiling anything (the same result as [`adoption_code`],
/// which a restarted cell process runs). Waits for its answer.
pub fn hand_over(socket: &Path, request: &Adoption) -> Result<()> {
    let env: BTreeMap<&String, &String> = request.env.iter().filter(|(k, _)| !is_own(k)).collect();
    let message = serde_json::json!({
        "cwd": request.cwd, "env": env, "own_prefixes": OWN_PREFIXES, "own_names": OWN_NAMES,
    });
    let mut stream = UnixStream::connect(socket).context("the cell process does not listen")?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    writeln!(stream, "{message}")?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    match answer.trim() {
        "ok" => Ok(()),
        other => anyhow::bail!("the cell process could not take over the environment: {other}"),
    }
}

/// Rust code that gives the cell process the adopting kernel's working directory and exactly
/// its environment: variables the standby was started with but the adopter lacks (say a
/// previous test's quick-mode settings) are removed. The kernel's own session variables stay.
pub fn adoption_code(request: &Adoption) -> String {
    let keep: Vec<&String> = request.env.keys().filter(|k| !is_own(k)).collect();
    // `set_var` is `unsafe` in the cells' edition (2024): the cell process runs no other
    // threads that read the environment while this runs, before any user cell.
    let mut code = format!(
        "unsafe {{ let _ = std::env::set_current_dir({:?});\n\
         let own = |k: &str| {OWN_PREFIXES:?}.iter().any(|p| k.starts_with(p)) \
         || {OWN_NAMES:?}.contains(&k);\n\
         let keep: &[&str] = &{keep:?};\n\
         for (k, _) in std::env::vars_os() {{ if let Some(k) = k.to_str() {{ \
         if !own(k) && !keep.contains(&k) {{ std::env::remove_var(k); }} }} }}\n",
        request.cwd.to_string_lossy()
    );
    for key in keep {
        let value = &request.env[key];
        code.push_str(&format!("std::env::set_var({key:?}, {value:?});\n"));
    }
    // Lets a cell (and a test) tell that its session was a standby's.
    code.push_str("std::env::set_var(\"FERROKERAS_ADOPTED\", \"1\");\n}\n");
    // The session's settings are read from the environment just set (quick mode, device, data).
    code.push_str("ferrokeras::runtime::kernel_init();\nferrokeras::backend::init_device();\n");
    code
}

/// Ends this process when the adopting kernel ends (its end of `stream` closes); interrupts
/// the running cell when it forwards a SIGINT.
pub fn follow_adopter(stream: UnixStream, on_interrupt: impl Fn() + Send + 'static) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            match line {
                Ok(l) if l.trim() == "interrupt" => on_interrupt(),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        std::process::exit(0);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adoption_code_sets_cwd_and_foreign_variables_only() {
        let request = Adoption {
            connection_file: "/tmp/k.json".into(),
            cwd: "/home/student/course".into(),
            env: BTreeMap::from([
                ("FERROKERAS_SAMPLE".to_string(), "256".to_string()),
                ("QUOTE".to_string(), "a \"b\"\n".to_string()),
                ("FERROKERAS_KERNEL".to_string(), "1".to_string()),
                ("EVCXR_TMPDIR".to_string(), "/x".to_string()),
            ]),
            build: String::new(),
        };
        let code = adoption_code(&request);
        assert!(code.contains(r#"std::env::set_current_dir("/home/student/course")"#));
        assert!(code.contains(r#"std::env::set_var("FERROKERAS_SAMPLE", "256");"#));
        assert!(code.contains(r#"std::env::set_var("QUOTE", "a \"b\"\n");"#));
        assert!(!code.contains(r#"set_var("FERROKERAS_KERNEL""#));
        assert!(!code.contains("EVCXR_TMPDIR"));
        // Everything else the cell process has is removed unless the adopter has it too.
        assert!(code.contains(r#"let keep: &[&str] = &["FERROKERAS_SAMPLE", "QUOTE"];"#));
        assert!(code.contains("std::env::remove_var(k)"));
        assert!(code.contains(r#"std::env::set_var("FERROKERAS_ADOPTED", "1");"#));
    }

    #[test]
    fn only_one_standby_holds_the_lock_and_adoption_round_trips() {
        let root = tempfile::tempdir().unwrap();
        let lock = Waiting::lock(root.path()).unwrap().expect("first lock");
        assert!(Waiting::lock(root.path()).unwrap().is_none());
        let waiting = Waiting::listen(root.path(), lock).unwrap();
        let conn = root.path().join("kernel.json");
        std::fs::write(&conn, "{}").unwrap();
        let (root2, conn2) = (root.path().to_path_buf(), conn.clone());
        let adopter = std::thread::spawn(move || try_adopt(&root2, &conn2, "build 1").is_some());
        let (request, _stream) = waiting.accept("build 1").unwrap().expect("same build");
        assert!(adopter.join().unwrap());
        assert_eq!(request.connection_file, conn.canonicalize().unwrap());
        assert!(request.env.contains_key("PATH"));
        // The socket is gone and the lock free: the next kernel starts on its own or with a
        // new standby. (Free within a moment: a process forked by another test in this same
        // process holds a copy of the lock's descriptor until its exec.)
        assert!(!socket_path(root.path()).exists());
        let free = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            Waiting::lock(root.path()).unwrap().is_some()
        });
        assert!(free);
    }

    #[test]
    fn a_standby_of_another_build_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let lock = Waiting::lock(root.path()).unwrap().expect("first lock");
        let waiting = Waiting::listen(root.path(), lock).unwrap();
        let conn = root.path().join("kernel.json");
        std::fs::write(&conn, "{}").unwrap();
        let (root2, conn2) = (root.path().to_path_buf(), conn.clone());
        let adopter = std::thread::spawn(move || try_adopt(&root2, &conn2, "new build").is_some());
        assert!(waiting.accept("old build").unwrap().is_none());
        assert!(
            !adopter.join().unwrap(),
            "the kernel must start its own session"
        );
        assert!(Waiting::lock(root.path()).unwrap().is_some());
    }

    #[test]
    fn build_identity_changes_when_a_source_changes() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let file = src.join("lib.rs");
        std::fs::write(&file, "// v1").unwrap();
        let before = build_identity(&[dir.path()]);
        assert_eq!(before, build_identity(&[dir.path()]));
        let later = std::time::SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_ne!(before, build_identity(&[dir.path()]));
    }

    #[test]
    fn a_socket_left_by_a_killed_standby_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let socket = socket_path(root.path());
        drop(UnixListener::bind(&socket).unwrap()); // the file stays, nobody listens
        assert!(socket.exists());
        let conn = root.path().join("kernel.json");
        std::fs::write(&conn, "{}").unwrap();
        assert!(try_adopt(root.path(), &conn, "build").is_none());
        assert!(
            !socket.exists(),
            "the next standby would find a dead socket"
        );
    }

    #[test]
    fn no_standby_is_started_without_the_memory_for_it() {
        let root = tempfile::tempdir().unwrap();
        // More than any machine has: nothing may start (no lock taken, no log written).
        spawn_if_memory(root.path(), u64::MAX);
        assert!(!root.path().join("standby.log").exists());
        assert!(!root.path().join("standby.lock").exists());
    }
}
