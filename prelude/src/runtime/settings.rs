//! The session's settings, as one typed value: read from the environment once, when the kernel
//! starts the cell process ([`crate::runtime::kernel_init`]) and again when a waiting session
//! takes on a notebook's environment (adoption), instead of every loader, trainer and display
//! reading `FERROKERAS_*` variables whenever it runs.
//!
//! | variable | field | meaning |
//! |---|---|---|
//! | `FERROKERAS_KERNEL=1` | [`Settings::in_notebook`] | cells run for the kernel: displays go to the notebook |
//! | `FERROKERAS_DATA_DIR` | [`Settings::data_dir`] | the dataset cache directory |
//! | `FERROKERAS_OFFLINE=1` | [`Settings::offline`] | never download |
//! | `FERROKERAS_SAMPLE=n` | [`Settings::sample_limit`] | quick mode: at most `n` examples per split |
//! | `FERROKERAS_MAX_EPOCHS=n` | [`Settings::max_epochs`] | quick mode: every `fit` capped at `n` epochs |
//! | `FERROKERAS_DEVICE` | [`Settings::device`] | `auto`, `cpu` or `cuda` |
//! | `FERROKERAS_BACKTRACE=1` | [`Settings::keep_backtrace`] | keep libtorch's C++ report in errors |
//! | `FERROKERAS_INTERRUPT_FILE` | [`Settings::interrupt_file`] | the flag file the kernel creates on an interrupt |
//!
//! Outside the kernel (programs, tests) the settings come from the environment the first time a
//! thread asks, and [`set_settings`] changes them for the calling thread only, so tests running
//! side by side keep their own.
//!
//! ```
//! use ferrokeras::runtime::{set_settings, settings, Settings};
//! set_settings(Settings { sample_limit: Some(100), offline: true, ..settings() });
//! assert_eq!(settings().sample_limit, Some(100));
//! assert_eq!(ferrokeras::utils::sample_limit(), Some(100));
//! ```

use super::session_state::with_state;
use std::ffi::OsStr;
use std::path::PathBuf;
use std::sync::Once;

/// The settings of a notebook session. `Default` is what an empty environment gives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Cells run for the ferrokeras kernel, so displays and progress bars go to the notebook.
    pub in_notebook: bool,
    /// Where datasets are cached; `None`: the user's cache directory (`utils::data_dir`).
    pub data_dir: Option<PathBuf>,
    /// Never download: a missing file is an error that says where to get it.
    pub offline: bool,
    /// Quick mode: every dataset loader returns at most this many examples per split.
    pub sample_limit: Option<usize>,
    /// Quick mode: every `fit` runs at most this many epochs.
    pub max_epochs: Option<usize>,
    /// Where models run.
    pub device: DeviceSetting,
    /// Keep libtorch's C++ source location and frames in error messages.
    pub keep_backtrace: bool,
    /// The file whose existence means the user interrupted the running cell.
    pub interrupt_file: Option<PathBuf>,
}

/// Where models run, as the `FERROKERAS_DEVICE` setting says (`backend` loads and picks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceSetting {
    /// `auto` (the default): CUDA device 0 when an NVIDIA driver and a GPU are there, else the
    /// CPU. libtorch's CUDA library is loaded only where a driver is found.
    #[default]
    Auto,
    /// `cpu`: always the CPU, even on a GPU machine (e.g. a class sharing one GPU).
    Cpu,
    /// `cuda`: CUDA device 0, loading libtorch's CUDA library even where no driver is found
    /// (tensor creation then fails with libtorch's own "no NVIDIA driver" error).
    Cuda,
}

impl DeviceSetting {
    /// `"auto"`, `"cpu"` or `"cuda"` (any case; empty is `auto`).
    pub fn parse(value: &str) -> Option<DeviceSetting> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "auto" => Some(DeviceSetting::Auto),
            "cpu" => Some(DeviceSetting::Cpu),
            "cuda" | "gpu" => Some(DeviceSetting::Cuda),
            _ => None,
        }
    }
}

impl Settings {
    /// The settings this process's environment gives.
    pub fn from_env() -> Settings {
        Settings::from_vars(std::env::vars_os())
    }

    /// The settings a set of environment variables gives (others are ignored).
    ///
    /// ```
    /// use ferrokeras::runtime::Settings;
    /// let s = Settings::from_vars([("FERROKERAS_SAMPLE", "256"), ("FERROKERAS_OFFLINE", "true")]);
    /// assert_eq!((s.sample_limit, s.offline, s.max_epochs), (Some(256), true, None));
    /// ```
    pub fn from_vars<K: AsRef<OsStr>, V: AsRef<OsStr>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Settings {
        let mut s = Settings::default();
        for (key, value) in vars {
            let (Some(key), value) = (key.as_ref().to_str(), value.as_ref()) else {
                continue;
            };
            let text = value.to_string_lossy();
            match key {
                "FERROKERAS_KERNEL" => s.in_notebook = text == "1",
                "FERROKERAS_DATA_DIR" => s.data_dir = non_empty_path(value),
                "FERROKERAS_OFFLINE" => {
                    s.offline = text == "1" || text.eq_ignore_ascii_case("true")
                }
                "FERROKERAS_SAMPLE" => s.sample_limit = positive(&text),
                "FERROKERAS_MAX_EPOCHS" => s.max_epochs = positive(&text),
                "FERROKERAS_DEVICE" => s.device = device_or_auto(&text),
                "FERROKERAS_BACKTRACE" => s.keep_backtrace = text == "1",
                "FERROKERAS_INTERRUPT_FILE" => s.interrupt_file = non_empty_path(value),
                _ => {}
            }
        }
        s
    }
}

fn non_empty_path(value: &OsStr) -> Option<PathBuf> {
    (!value.is_empty()).then(|| PathBuf::from(value))
}

fn positive(text: &str) -> Option<usize> {
    text.trim().parse::<usize>().ok().filter(|&n| n > 0)
}

fn device_or_auto(text: &str) -> DeviceSetting {
    DeviceSetting::parse(text).unwrap_or_else(|| {
        static WARNED: Once = Once::new();
        WARNED.call_once(|| {
            eprintln!(
                "warning: FERROKERAS_DEVICE={text:?} is not one of auto, cpu, cuda: using auto"
            )
        });
        DeviceSetting::Auto
    })
}

/// The current settings (a copy).
pub fn settings() -> Settings {
    with_state(|s| s.settings().clone())
}

/// Reads one setting without copying them all (training loops ask every batch).
pub(crate) fn setting<R>(f: impl FnOnce(&Settings) -> R) -> R {
    with_state(|s| f(s.settings()))
}

/// Replaces the settings: for the whole session in the kernel, for the calling thread outside.
pub fn set_settings(settings: Settings) {
    with_state(|s| s.settings = Some(settings));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_read_into_their_fields() {
        let s = Settings::from_vars([
            ("FERROKERAS_KERNEL", "1"),
            ("FERROKERAS_DATA_DIR", "/data"),
            ("FERROKERAS_MAX_EPOCHS", "2"),
            ("FERROKERAS_DEVICE", "CPU"),
            ("FERROKERAS_BACKTRACE", "1"),
            ("FERROKERAS_INTERRUPT_FILE", "/tmp/flag"),
            ("PATH", "/bin"),
        ]);
        assert!(s.in_notebook && s.keep_backtrace && !s.offline);
        assert_eq!(s.data_dir, Some(PathBuf::from("/data")));
        assert_eq!((s.max_epochs, s.sample_limit), (Some(2), None));
        assert_eq!(s.device, DeviceSetting::Cpu);
        assert_eq!(s.interrupt_file, Some(PathBuf::from("/tmp/flag")));
    }

    #[test]
    fn empty_zero_and_unreadable_values_mean_unset() {
        let s = Settings::from_vars([
            ("FERROKERAS_DATA_DIR", ""),
            ("FERROKERAS_SAMPLE", "0"),
            ("FERROKERAS_MAX_EPOCHS", "many"),
            ("FERROKERAS_DEVICE", "tpu"),
            ("FERROKERAS_KERNEL", "0"),
        ]);
        assert_eq!(s, Settings::default());
    }

    #[test]
    fn a_thread_changes_only_its_own_settings() {
        set_settings(Settings {
            max_epochs: Some(3),
            ..settings()
        });
        let other = std::thread::spawn(|| {
            set_settings(Settings {
                max_epochs: Some(9),
                ..settings()
            });
            settings().max_epochs
        })
        .join()
        .unwrap();
        assert_eq!((settings().max_epochs, other), (Some(3), Some(9)));
    }
}
