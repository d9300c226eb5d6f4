//! The evaluation session: an evcxr `CommandContext` on its own thread, with the prelude
//! loaded, and a forwarder thread that turns the cell process's output into Jupyter messages.

use crate::interrupt::Interrupter;
use crate::stdin::Prompter;
use crate::timing::Timing;
use crossbeam_channel::{Receiver, Sender};
use jupyter_protocol::{JupyterMessage, JupyterMessageContent};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the session finds the prelude and what it links.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The `kernel/prelude-dylib/` crate: the prelude as one shared library that cells link.
    pub prelude_dylib_dir: PathBuf,
    /// A Cargo.lock to seed the session crate with, so offline resolution picks the versions
    /// that set-up fetched.
    pub lockfile: Option<PathBuf>,
    /// evcxr's working directory (persistent: its `target/` is the build cache).
    pub session_dir: PathBuf,
    /// Run cargo offline (set-up fetched everything).
    pub offline: bool,
    /// Where to start a standby session for the next kernel once this one has run a cell
    /// (see `standby`); `None` for a standby itself until it is adopted.
    pub standby_root: Option<PathBuf>,
    /// A standby: rust-analyzer is not warmed until a notebook's first cell has run in it
    /// (`Executor::warm_analysis`). A waiting standby then holds about a third of what an idle
    /// kernel does (no analysis loaded: ~135 vs ~395 MB), and the adopting notebook's first result does not wait for
    /// it either.
    pub waits_for_adoption: bool,
}

/// How a cell ended.
#[derive(Debug)]
pub enum Outcome {
    /// It ran; the final value's representations (possibly none).
    Ok(HashMap<String, String>),
    /// Compile error, `?` error, panic, lost process, or a session that failed to start.
    Error {
        /// Short error name: `CompileError`, `Panic`, `Interrupted`, `KernelError`, or for a
        /// `?` error its kind (see `user_error`).
        ename: String,
        /// One-line message.
        evalue: String,
        /// Lines shown under the cell.
        traceback: Vec<String>,
    },
}

/// Completion candidates of a byte range of the code.
pub struct Completions {
    /// `(text, kind)`: the code to insert and what it is (`function`, `struct`, …).
    pub items: Vec<(String, &'static str)>,
    pub start: usize,
    pub end: usize,
}

/// What inspect shows: rust-analyzer's hover as plain text and as HTML (from its Markdown).
pub struct Hover {
    pub plain: String,
    pub html: String,
}

/// An output for the iopub channel, with the request it belongs to.
pub struct Output {
    pub parent: JupyterMessage,
    pub content: JupyterMessageContent,
}

/// Work for the executor thread.
pub enum Job {
    Execute {
        code: String,
        parent: Box<JupyterMessage>,
        reply: tokio::sync::oneshot::Sender<Outcome>,
    },
    Complete {
        code: String,
        byte_pos: usize,
        reply: tokio::sync::oneshot::Sender<Option<Completions>>,
    },
    Inspect {
        code: String,
        byte_pos: usize,
        reply: tokio::sync::oneshot::Sender<Option<Hover>>,
    },
    /// A standby is adopted: run `code` (the notebook's working directory and environment),
    /// again after every restart of the cell process, and start the next standby in
    /// `standby_root` after the first cell.
    Adopt {
        code: String,
        /// Whether the cell process already has the environment (`standby::hand_over`): the
        /// code then only runs after a restart.
        applied: bool,
        standby_root: PathBuf,
        reply: tokio::sync::oneshot::Sender<Result<(), String>>,
    },
}

/// Starts the executor and forwarder threads. Returns the job queue. The session starts
/// (compiling the prelude if the cache is cold) in the background; jobs wait for it.
pub fn start(
    config: SessionConfig,
    interrupter: Arc<Interrupter>,
    outputs: tokio::sync::mpsc::UnboundedSender<Output>,
    prompter: Prompter,
) -> Sender<Job> {
    let (job_tx, job_rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("executor".into())
        .spawn(move || Executor::run(config, interrupter, outputs, prompter, job_rx))
        .expect("spawn executor thread");
    job_tx
}

/// State shared between the executor and the forwarder.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) parent: Option<JupyterMessage>,
    pub(crate) panic: Option<String>,
}

struct Executor {
    ctx: evcxr::CommandContext,
    shared: Arc<Mutex<Shared>>,
    flush: Sender<Sender<()>>,
    interrupter: Arc<Interrupter>,
    /// Prompts for cells that read stdin (see `stdin`).
    prompter: Prompter,
    next_cell: u64,
    /// The adoption code of a standby session (re-run after a restart of the cell process).
    adopted: Option<String>,
    /// Where to start the next standby after the next cell (see `standby`).
    standby_root: Option<PathBuf>,
    /// The standby this kernel started, while it warms up (paused during cells).
    warming: Option<crate::standby_warmup::WarmingStandby>,
    /// `FERROKERAS_BACKTRACE=1`: errors keep libtorch's C++ report (read once at start).
    keep_backtrace: bool,
}

/// The prelude's packages whose public API names only std, tch and each other. rust-analyzer
/// (which works out the types of a cell's variables) loads none of their other ~150
/// dependencies, which no cell can name: about half its memory, and a faster start (evcxr
/// patch 5). The course notebooks' tests would fail on a variable of a type from elsewhere.
const API_ONLY: &str = "ferrokeras-dylib ferrokeras tch";

/// The code run at start and after every restart of the cell process.
///
/// The `?` line matters: evcxr enables `?` in cells only after a cell first fails to compile
/// for lack of it, and the retry of that first cell loses its rich display (it falls back to
/// `Debug`). Using `?` once here means every user cell can `?` and still show its value.
///
/// `init_device` loads libtorch's CUDA backend where `FERROKERAS_DEVICE` wants it, so tch's
/// own CUDA calls work in cells before any model is built.
const INIT_CODE: &str = "use ferrokeras::prelude::*;\nferrokeras::runtime::kernel_init();\nferrokeras::backend::init_device();\nOk::<(), ferrokeras::Error>(())?;";

/// A completion request whose analysis warms rust-analyzer (see `Executor::warm_analysis`).
const WARM_UP_COMPLETION: &str =
    "let ferrokeras_warm_up = Tensor::from_slice(&[1.0f32]).sum(Kind::Float) + 1;\nferrokeras_warm_up.";

/// How long the kernel waits for the next job before it returns the memory freed meanwhile
/// (`memory::return_free_memory`, ~10 ms): not between cells sent one after the other.
const IDLE_BEFORE_RETURNING_MEMORY: Duration = Duration::from_secs(1);

impl Executor {
    fn run(
        config: SessionConfig,
        interrupter: Arc<Interrupter>,
        outputs: tokio::sync::mpsc::UnboundedSender<Output>,
        prompter: Prompter,
        jobs: Receiver<Job>,
    ) {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let started = Self::start(
            &config,
            Arc::clone(&shared),
            outputs,
            &interrupter,
            prompter,
        );
        let mut executor = match started {
            Ok(e) => e,
            Err(message) => {
                eprintln!("ferrokeras: session failed to start: {message}");
                return Self::serve_failure(&message, jobs);
            }
        };
        let mut analysis_warm = false;
        let mut waits_for_adoption = config.waits_for_adoption;
        let mut served_a_cell = false;
        let mut memory_returned = true;
        loop {
            let job = match jobs.recv_timeout(IDLE_BEFORE_RETURNING_MEMORY) {
                Ok(job) => job,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                    if !memory_returned {
                        let timing = Timing::new();
                        crate::memory::return_free_memory();
                        timing.phase("free memory returned");
                        memory_returned = true;
                    }
                    continue;
                }
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            };
            memory_returned = false;
            let was_cell = matches!(job, Job::Execute { .. });
            if matches!(job, Job::Adopt { .. }) {
                waits_for_adoption = false;
            }
            served_a_cell |= was_cell && !waits_for_adoption;
            let paused = if was_cell {
                executor.pause_warming_standby()
            } else {
                None
            };
            executor.handle(job);
            drop(paused);
            if served_a_cell && !analysis_warm && jobs.is_empty() {
                executor.warm_analysis();
                analysis_warm = true;
            }
            if was_cell {
                if let Some(root) = executor.standby_root.take() {
                    executor.warming = crate::standby::spawn_if_none(&root);
                }
            }
        }
    }

    /// Stops the standby this kernel started while it still warms up, until the guard drops:
    /// the notebook's cell gets the CPU (see `standby_warmup`).
    fn pause_warming_standby(&mut self) -> Option<crate::standby_warmup::Paused> {
        let warming = self.warming.as_mut()?;
        if warming.is_warming() {
            return Some(warming.pause());
        }
        self.warming = None;
        None
    }

    /// Runs rust-analyzer's first type inference while the user reads the first result.
    ///
    /// Why: evcxr asks rust-analyzer for the type of every variable a cell defines, and the
    /// first such query in a session builds the def maps and trait impls of std and the
    /// prelude's crates (≈ 4–5 s of one core; nothing before it needs them, evcxr patch 6).
    /// A completion request does the same work without compiling
    /// or running anything, so the first cell with a `let` no longer pays for it. Done after
    /// the first cell, not at start, so that it never delays the first result; a cell sent
    /// meanwhile waits at most for this.
    fn warm_analysis(&mut self) {
        let timing = Timing::new();
        let _ = self
            .ctx
            .completions(WARM_UP_COMPLETION, WARM_UP_COMPLETION.len());
        timing.phase("rust-analyzer warmed");
    }

    fn start(
        config: &SessionConfig,
        shared: Arc<Mutex<Shared>>,
        outputs: tokio::sync::mpsc::UnboundedSender<Output>,
        interrupter: &Arc<Interrupter>,
        prompter: Prompter,
    ) -> Result<Self, String> {
        std::fs::create_dir_all(&config.session_dir).map_err(|e| e.to_string())?;
        if let Some(lock) = &config.lockfile {
            let target = config.session_dir.join("Cargo.lock");
            if !target.exists() && lock.exists() {
                let _ = std::fs::copy(lock, &target);
            }
        }
        let timing = Timing::new();
        let (mut ctx, evcxr_outputs) =
            evcxr::CommandContext::new().map_err(|e| format!("evcxr: {e}"))?;
        timing.phase("evcxr context (compiles and loads a first trivial crate)");
        let (flush_tx, flush_rx) = crossbeam_channel::unbounded();
        {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("forwarder".into())
                .spawn(move || crate::forward::forward(evcxr_outputs, shared, flush_rx, outputs))
                .map_err(|e| e.to_string())?;
        }
        interrupter.set_process(ctx.process_handle());
        // One evaluation adds the prelude and loads it: each evaluation is a compile and a link.
        let mut init = String::new();
        if config.offline {
            init.push_str(":offline 1\n");
        }
        // `:direct_rustc` after the `:dep`: the prelude does not change while a session runs
        // (a changed prelude is a new build, see standby.rs), so cells are compiled by rustc
        // directly instead of a cargo run that re-checks ~120 dependencies every time.
        // `:lean_std`: rust-analyzer skips the parts of the standard library no cell can name
        // (core::arch's intrinsics, std's private dependencies): ~160 MB less per session.
        init.push_str(&format!(
            ":dep ferrokeras = {{ path = \"{}\", package = \"ferrokeras-dylib\" }}\n:direct_rustc 1\n:api_only {API_ONLY}\n:lean_std 1\n{INIT_CODE}",
            config.prelude_dylib_dir.display()
        ));
        ctx.execute(&init)
            .map_err(|e| format!("loading the prelude failed: {e}"))?;
        let executor = Executor {
            ctx,
            shared,
            flush: flush_tx,
            interrupter: Arc::clone(interrupter),
            prompter,
            next_cell: 1,
            adopted: None,
            standby_root: config.standby_root.clone(),
            warming: None,
            keep_backtrace: std::env::var("FERROKERAS_BACKTRACE").is_ok_and(|v| v == "1"),
        };
        timing.phase("prelude loaded");
        Ok(executor)
    }

    fn load_prelude(&mut self) -> Result<(), String> {
        self.run_hidden(INIT_CODE)?;
        match self.adopted.clone() {
            Some(code) => self.run_hidden(&code),
            None => Ok(()),
        }
    }

    /// Runs code that is not a user's cell; its error as text.
    fn run_hidden(&mut self, code: &str) -> Result<(), String> {
        match self.ctx.execute(code) {
            Ok(_) => Ok(()),
            Err(evcxr::Error::CompilationErrors(errors)) => Err(errors
                .iter()
                .map(|e| e.rendered())
                .collect::<Vec<_>>()
                .join("\n")),
            Err(e) => Err(e.to_string()),
        }
    }

    /// When the session cannot start, every request gets the reason.
    fn serve_failure(message: &str, jobs: Receiver<Job>) {
        for job in jobs {
            match job {
                Job::Execute { reply, .. } => {
                    let _ = reply.send(Outcome::Error {
                        ename: "KernelError".into(),
                        evalue: "the Rust session could not start".into(),
                        traceback: message.lines().map(str::to_string).collect(),
                    });
                }
                Job::Complete { reply, .. } => {
                    let _ = reply.send(None);
                }
                Job::Adopt { reply, .. } => {
                    let _ = reply.send(Err(message.to_string()));
                }
                Job::Inspect { reply, .. } => {
                    let _ = reply.send(None);
                }
            }
        }
    }

    fn handle(&mut self, job: Job) {
        match job {
            Job::Execute {
                code,
                parent,
                reply,
            } => {
                let outcome = self.execute(&code, *parent);
                let _ = reply.send(outcome);
            }
            Job::Complete {
                code,
                byte_pos,
                reply,
            } => {
                let result = self
                    .ctx
                    .completions(&code, byte_pos)
                    .ok()
                    .map(|c| Completions {
                        items: c
                            .completions
                            .into_iter()
                            .map(|c| (c.code, c.kind))
                            .collect(),
                        start: c.start_offset,
                        end: c.end_offset,
                    });
                let _ = reply.send(result);
            }
            Job::Adopt {
                code,
                applied,
                standby_root,
                reply,
            } => {
                let result = if applied {
                    Ok(())
                } else {
                    self.run_hidden(&code)
                };
                self.flush_output();
                self.adopted = Some(code);
                self.standby_root = Some(standby_root);
                let _ = reply.send(result);
            }
            Job::Inspect {
                code,
                byte_pos,
                reply,
            } => {
                let hover = self
                    .ctx
                    .hover_at(&code, byte_pos)
                    .ok()
                    .filter(|(plain, _)| !plain.is_empty() && plain != "No documentation found")
                    .map(|(plain, html)| Hover { plain, html });
                let _ = reply.send(hover);
            }
        }
    }

    fn execute(&mut self, code: &str, parent: JupyterMessage) -> Outcome {
        {
            let mut shared = self.shared.lock().unwrap();
            shared.parent = Some(parent.clone());
            shared.panic = None;
        }
        let cell = self.next_cell;
        self.next_cell += 1;
        self.interrupter.cell_started(cell);
        let (prompter, interrupter) = (self.prompter.clone(), Arc::clone(&self.interrupter));
        let flush_tx = self.flush.clone();
        // Before a prompt: what the cell printed before it is shown first.
        let flush = || crate::forward::wait_until_sent(&flush_tx);
        let input = crate::stdin::CellInput::new(&parent, &prompter, &interrupter, &flush);
        let outcome = self.run_cell(code, &input);
        input.outcome(outcome)
    }

    fn run_cell(&mut self, code: &str, input: &crate::stdin::CellInput) -> Outcome {
        let timing = Timing::new();
        let interrupter = Arc::clone(&self.interrupter);
        let code_started = move || interrupter.code_started();
        let stdin_reader = |r: evcxr::InputRequest| input.read(&r.prompt, r.is_password);
        // evcxr_input's `get_string` (a cell that depends on it) asks this way.
        let input_reader =
            |r: evcxr::InputRequest| input.read(&r.prompt, r.is_password).unwrap_or_default();
        let mut callbacks = evcxr::EvalCallbacks {
            code_started: &code_started,
            stdin_reader: &stdin_reader,
            input_reader: &input_reader,
        };
        let result = self.ctx.execute_with_callbacks(code, &mut callbacks);
        if let Ok(outputs) = &result {
            for phase in &outputs.phases {
                timing.detail(&phase.name, phase.duration);
            }
        }
        timing.phase("cell evaluated");
        let was_interrupted = self.interrupter.flag_is_set();
        let killed = self.interrupter.cell_finished();
        self.flush_output();
        let panic = self.shared.lock().unwrap().panic.take();
        let outcome = match result {
            Err(evcxr::Error::SubprocessTerminated(message)) => self.process_lost(&message, killed),
            result => crate::outcome::of_cell(result, code, panic, self.keep_backtrace),
        };
        if was_interrupted && matches!(outcome, Outcome::Ok(_)) {
            eprintln!("ferrokeras: cell stopped after an interrupt; variables kept");
        }
        outcome
    }

    /// The outcome of a cell whose process ended (killed after an interrupt, or crashed):
    /// evcxr has started a new one, which gets the prelude again.
    fn process_lost(&mut self, message: &str, killed: bool) -> Outcome {
        let reloaded = self.load_prelude();
        self.flush_output();
        let lost = "All variables of this session were lost; the prelude is loaded again.";
        let (ename, evalue) = if killed {
            (
                "Interrupted",
                format!(
                    "The cell did not stop after the interrupt, so its process was restarted. {lost}"
                ),
            )
        } else {
            (
                "KernelError",
                format!("The cell's process ended: {message}. {lost}"),
            )
        };
        let mut traceback = vec![evalue.clone()];
        if let Err(e) = reloaded {
            traceback.push(format!("Reloading the prelude failed: {e}"));
        }
        Outcome::Error {
            ename: ename.into(),
            evalue,
            traceback,
        }
    }

    /// Waits until the forwarder has sent everything the cell printed.
    fn flush_output(&self) {
        crate::forward::wait_until_sent(&self.flush);
    }
}
