// Copyright 2020 The Evcxr Authors.
//
// Licensed under the Apache License, Version 2.0 <LICENSE or
// https://www.apache.org/licenses/LICENSE-2.0> or the MIT license <LICENSE
// or https://opensource.org/licenses/MIT>, at your option. This file may not be
// copied, modified, or distributed except according to those terms.

//! Stdin for user code (patched, ferrokeras; see PATCHES.md, patch 8).
//!
//! The child process reads its commands from fd 0, so user code that read stdin took the
//! host's next command, or blocked for ever. On Linux the child moves the command channel off
//! fd 0 and puts a pipe there that a feeder thread fills from a second pipe from the host
//! ([`CHILD_INPUT_FD`]). A watcher thread notices when user code blocks reading fd 0 with
//! nothing to read (from `/proc/self/task/*/syscall`, the only way to see it without the
//! code's help) and prints [`WAIT_MARKER`] on stdout; the host asks its `stdin_reader`
//! callback and sends the line, or an end of input, as a [`Frame`].
//!
//! The marker is written by a function compiled into each cell ([`marker_writer_code`]):
//! cells link the standard library dynamically, the runtime statically, so only the cell's
//! `stdout()` holds a prompt that the code printed without a newline; written through it, the
//! prompt comes first on the marker's line.
//!
//! The marker carries how many frames the child had applied when it saw the read blocked.
//! A read that blocks while the host's answer to an earlier one is still on its way is seen
//! with an older count; the host, knowing how many it sent, ignores that marker, so one read
//! never asks the user twice.

use std::io::{self, BufRead, Write};

/// Set (to [`CHILD_INPUT_FD`]) in the child's environment when the host feeds its stdin.
pub(crate) const INPUT_FD_VAR: &str = "EVCXR_INPUT_FD";
/// The child's fd of the pipe that carries [`Frame`]s from the host.
pub(crate) const CHILD_INPUT_FD: i32 = 3;
/// Ends the stdout line the child writes when user code waits for input: the text before it
/// is what the code printed on that line, its prompt; after it comes ` <frames applied>`.
pub(crate) const WAIT_MARKER: &str = "EVCXR_STDIN_WAIT";

/// The name of the function that [`marker_writer_code`] adds to the cell whose user function
/// is `user_fn`.
pub(crate) fn marker_writer_name(user_fn: &str) -> String {
    format!("{user_fn}_stdin_wait")
}

/// A function for the cell's crate that writes the marker line through the cell's stdout.
pub(crate) fn marker_writer_code(user_fn: &str) -> String {
    format!(
        "#[unsafe(no_mangle)]\npub extern \"C\" fn {}(applied: u64) {{ use ::std::io::Write as _; let mut out = ::std::io::stdout().lock(); let _ = ::std::writeln!(out, \"{WAIT_MARKER} {{applied}}\"); let _ = out.flush(); }}",
        marker_writer_name(user_fn)
    )
}

/// Writes the marker through the runtime's own stdout (a cell without [`marker_writer_code`]).
pub(crate) extern "C" fn write_marker_here(applied: u64) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{WAIT_MARKER} {applied}");
    let _ = out.flush();
}

/// Writes a [`WAIT_MARKER`] line with the count of frames applied.
pub(crate) type MarkerWriter = extern "C" fn(u64);

/// The prompt and the frame count of a [`WAIT_MARKER`] line.
pub(crate) fn parse_wait_marker(line: &str) -> Option<(&str, u64)> {
    let at = line.rfind(WAIT_MARKER)?;
    let count = line[at + WAIT_MARKER.len()..].strip_prefix(' ')?;
    if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((&line[..at], count.parse().ok()?))
}

/// What the host sends on the input pipe.
#[derive(Debug, PartialEq)]
pub(crate) enum Frame {
    /// Bytes for the user code's stdin.
    Data(Vec<u8>),
    /// The read that waits sees the end of input (later reads wait again).
    Eof,
}

impl Frame {
    /// `D<len>\n<bytes>` or `E\n`: data may hold any byte, newlines included.
    pub(crate) fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        match self {
            Frame::Data(bytes) => {
                writeln!(out, "D{}", bytes.len())?;
                out.write_all(bytes)?;
            }
            Frame::Eof => out.write_all(b"E\n")?,
        }
        out.flush()
    }

    /// The next frame; `None` once the host has closed the pipe.
    pub(crate) fn read_from(input: &mut impl BufRead) -> io::Result<Option<Frame>> {
        let mut header = String::new();
        if input.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end_matches('\n');
        if header == "E" {
            return Ok(Some(Frame::Eof));
        }
        let len = header
            .strip_prefix('D')
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad input frame"))?;
        let mut bytes = vec![0; len];
        input.read_exact(&mut bytes)?;
        Ok(Some(Frame::Data(bytes)))
    }
}

/// The child's side: the feeder and the watcher.
#[cfg(target_os = "linux")]
pub(crate) mod child {
    use super::{CHILD_INPUT_FD, Frame, MarkerWriter};
    use std::fs::File;
    use std::io::{self, BufReader, Write};
    use std::os::fd::{AsRawFd, FromRawFd, RawFd};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    /// How often the watcher looks for a blocked read while user code runs: a prompt shows
    /// within this; idle, it costs nothing.
    const POLL: Duration = Duration::from_millis(50);

    struct State {
        /// While user code runs (only then does the watcher look): how to write the marker.
        running: Mutex<Option<MarkerWriter>>,
        changed: Condvar,
        /// Frames the feeder has applied.
        applied: AtomicU64,
    }

    /// The user code's stdin, fed by the host.
    pub(crate) struct UserStdin {
        state: Arc<State>,
    }

    impl UserStdin {
        /// Moves the command channel off fd 0 (the returned file) and puts a pipe fed from
        /// [`CHILD_INPUT_FD`] there. Call before any other thread starts.
        pub(crate) fn take_over() -> io::Result<(File, UserStdin)> {
            // SAFETY: fd 0 and CHILD_INPUT_FD are ours (set up by the host); the new fds are
            // owned by the returned files. CLOEXEC: processes the user starts get neither.
            let commands = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 0) };
            if commands < 0 {
                return Err(io::Error::last_os_error());
            }
            let commands = unsafe { File::from_raw_fd(commands) };
            if unsafe { libc::fcntl(CHILD_INPUT_FD, libc::F_SETFD, libc::FD_CLOEXEC) } < 0 {
                return Err(io::Error::last_os_error());
            }
            let input = unsafe { File::from_raw_fd(CHILD_INPUT_FD) };
            Ok((commands, UserStdin::feed(input, 0)?))
        }

        /// Feeds fd `target` from the frames on `input`, and watches for reads of `target`.
        pub(crate) fn feed(input: File, target: RawFd) -> io::Result<UserStdin> {
            let state = Arc::new(State {
                running: Mutex::new(None),
                changed: Condvar::new(),
                applied: AtomicU64::new(0),
            });
            let writer = fresh_pipe_on(target)?;
            let feeder_state = Arc::clone(&state);
            std::thread::Builder::new()
                .name("evcxr-stdin-feeder".into())
                .spawn(move || feed(BufReader::new(input), target, writer, &feeder_state))?;
            let watcher_state = Arc::clone(&state);
            std::thread::Builder::new()
                .name("evcxr-stdin-watcher".into())
                .spawn(move || watch(&watcher_state, target))?;
            Ok(UserStdin { state })
        }

        /// Tells the watcher that user code runs, and how to write the marker.
        pub(crate) fn code_started(&self, write_marker: MarkerWriter) {
            *self.state.running.lock().unwrap() = Some(write_marker);
            self.state.changed.notify_all();
        }

        /// Tells the watcher that user code has finished. Once this returns, no marker is
        /// written any more: one written before precedes what the caller prints next.
        pub(crate) fn code_finished(&self) {
            *self.state.running.lock().unwrap() = None;
        }
    }

    /// A new pipe whose read end replaces fd `target`; its write end.
    fn fresh_pipe_on(target: RawFd) -> io::Result<io::PipeWriter> {
        let (reader, writer) = io::pipe()?;
        // SAFETY: dup2 onto an fd this module manages; a read blocked on the old pipe keeps
        // its reference to it and sees its end once the old write end is dropped.
        if unsafe { libc::dup2(reader.as_raw_fd(), target) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(writer)
    }

    fn feed(mut input: BufReader<File>, target: RawFd, mut writer: io::PipeWriter, state: &State) {
        // Ends when the host closes the pipe (it is gone; the process ends soon too).
        while let Ok(Some(frame)) = Frame::read_from(&mut input) {
            match frame {
                Frame::Data(bytes) => {
                    let _ = writer.write_all(&bytes);
                }
                // The pending read ends (its pipe loses its only writer) and later reads use
                // the new pipe, so end of input is not for ever.
                Frame::Eof => match fresh_pipe_on(target) {
                    Ok(new_writer) => writer = new_writer,
                    Err(error) => eprintln!("evcxr: cannot end the input: {error}"),
                },
            }
            state.applied.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn watch(state: &State, target: RawFd) {
        let mut marked = None;
        let mut running = state.running.lock().unwrap();
        loop {
            running = state.changed.wait_while(running, |r| r.is_none()).unwrap();
            running = state.changed.wait_timeout(running, POLL).unwrap().0;
            let Some(write_marker) = *running else {
                continue;
            };
            // Read before looking at the pipe and the threads (see the module's doc).
            let applied = state.applied.load(Ordering::SeqCst);
            if marked == Some(applied) || pending_bytes(target) != 0 || !a_thread_reads(target) {
                continue;
            }
            // Written while holding `running`, so before the end of the code's output.
            write_marker(applied);
            marked = Some(applied);
        }
    }

    /// Bytes waiting in the pipe on fd `target`.
    fn pending_bytes(target: RawFd) -> libc::c_int {
        let mut pending: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int.
        if unsafe { libc::ioctl(target, libc::FIONREAD, &mut pending) } < 0 {
            return 0;
        }
        pending
    }

    /// Whether a thread of this process is blocked reading fd `target`.
    pub(crate) fn a_thread_reads(target: RawFd) -> bool {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return false;
        };
        tasks.flatten().any(|task| {
            std::fs::read_to_string(task.path().join("syscall"))
                .is_ok_and(|line| reads_fd(&line, target))
        })
    }

    /// Whether a `/proc/…/syscall` line (`<number> <arg1> …` in hex, or `running`) is a
    /// `read` or `readv` of `fd`.
    pub(crate) fn reads_fd(line: &str, fd: RawFd) -> bool {
        let mut fields = line.split_whitespace();
        let number = fields.next().and_then(|n| n.parse::<libc::c_long>().ok());
        if number != Some(libc::SYS_read) && number != Some(libc::SYS_readv) {
            return false;
        }
        let arg = fields
            .next()
            .and_then(|a| a.strip_prefix("0x"))
            .and_then(|a| i64::from_str_radix(a, 16).ok());
        arg == Some(i64::from(fd))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_lines_give_the_prompt_and_the_count() {
        assert_eq!(
            parse_wait_marker("Name: EVCXR_STDIN_WAIT 3"),
            Some(("Name: ", 3))
        );
        assert_eq!(parse_wait_marker("EVCXR_STDIN_WAIT 0"), Some(("", 0)));
        assert_eq!(
            parse_wait_marker("a EVCXR_STDIN_WAIT b EVCXR_STDIN_WAIT 12"),
            Some(("a EVCXR_STDIN_WAIT b ", 12))
        );
        assert_eq!(parse_wait_marker("EVCXR_STDIN_WAIT 1 more"), None);
        assert_eq!(parse_wait_marker("EVCXR_STDIN_WAIT "), None);
        assert_eq!(parse_wait_marker("just text"), None);
    }

    #[test]
    fn frames_round_trip() {
        let mut wire = Vec::new();
        let frames = [
            Frame::Data(b"two\nlines\n".to_vec()),
            Frame::Eof,
            Frame::Data(vec![]),
        ];
        for frame in &frames {
            frame.write_to(&mut wire).unwrap();
        }
        let mut input = &wire[..];
        for frame in frames {
            assert_eq!(Frame::read_from(&mut input).unwrap(), Some(frame));
        }
        assert_eq!(Frame::read_from(&mut input).unwrap(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn syscall_lines_of_reads() {
        use child::reads_fd;
        let read = libc::SYS_read;
        assert!(reads_fd(&format!("{read} 0x0 0x55d0 0x2000 0x0"), 0));
        assert!(!reads_fd(&format!("{read} 0x3 0x55d0 0x2000 0x0"), 0));
        assert!(reads_fd(&format!("{read} 0xa 0x55d0"), 10));
        assert!(!reads_fd("running", 0));
        assert!(!reads_fd(&format!("{} 0x0 0x1", libc::SYS_write), 0));
    }

    /// The feeder fills a stand-in for fd 0; an end of input ends the read that waits and
    /// the next read gets later data; the watcher sees a thread blocked reading it.
    #[cfg(target_os = "linux")]
    #[test]
    fn feeder_gives_data_and_ends_of_input_that_do_not_last() {
        use std::io::Read;
        use std::os::fd::{FromRawFd, IntoRawFd};
        use std::time::Duration;
        let target = std::fs::File::open("/dev/null").unwrap().into_raw_fd();
        let (host_reader, mut host) = io::pipe().unwrap();
        let host_reader = std::fs::File::from(std::os::fd::OwnedFd::from(host_reader));
        let stdin = child::UserStdin::feed(host_reader, target).unwrap();
        let read_once = move || {
            // A second handle on whatever pipe is on `target` when the read starts.
            let fd = unsafe { libc::dup(target) };
            let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
            let mut buf = [0u8; 64];
            let n = file.read(&mut buf).unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        };
        Frame::Data(b"hello\n".to_vec())
            .write_to(&mut host)
            .unwrap();
        assert_eq!(read_once(), "hello\n");

        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // Blocked in read(2) on `target` itself.
            let mut buf = [0u8; 8];
            let n = unsafe { libc::read(target, buf.as_mut_ptr().cast(), buf.len()) };
            tx.send(n).unwrap();
        });
        let mut seen = false;
        for _ in 0..100 {
            seen = child::a_thread_reads(target);
            if seen {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(seen, "the blocked read was not seen");
        stdin.code_finished();
        Frame::Eof.write_to(&mut host).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 0);
        Frame::Data(b"again\n".to_vec())
            .write_to(&mut host)
            .unwrap();
        assert_eq!(read_once(), "again\n");
    }
}
