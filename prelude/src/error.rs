//! The one error type every fallible prelude call returns, so a cell can `?` on anything.
//!
//! Messages read like Keras's: they name the layer, the file or the option involved and say
//! what was expected. Variants are grouped by area; add new ones to your area's group.

use std::path::PathBuf;

/// Everything that can go wrong in a prelude call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- models, layers, training -------------------------------------------------------
    /// A tensor reached a layer with a shape the layer cannot take.
    #[error("{layer} expects {expected}, got input of shape {got}")]
    Shape {
        /// The layer's kind and name, e.g. `Dense 'dense_1'`.
        layer: String,
        /// What the layer expects, e.g. `last axis 784`.
        expected: String,
        /// The shape it got, Keras-style with `None` for the batch, e.g. `(None, 28, 28)`.
        got: String,
    },
    /// A string id (optimizer, loss, metric, activation, padding…) that is not known.
    #[error("unknown {kind} '{got}'; valid ids are: {}", valid.join(", "))]
    UnknownId {
        /// What kind of id, e.g. `optimizer`.
        kind: &'static str,
        /// The id given.
        got: String,
        /// Every id that would have worked.
        valid: Vec<&'static str>,
    },
    /// An argument is out of its valid range or contradicts another one.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The model is used before what it needs (compile, build, fit) happened.
    #[error("{0}")]
    NotReady(String),
    /// Training data that cannot be trained on (empty, mismatched lengths, labels out of range).
    #[error("invalid training data: {0}")]
    InvalidData(String),
    /// A saved model or weights file that does not match the model it is loaded into.
    #[error("weights file {path} does not match the model: {detail}")]
    WeightsMismatch {
        /// The file being loaded.
        path: PathBuf,
        /// Which tensor mismatches and how.
        detail: String,
    },
    /// Optimizer variables (Keras's `optimizer.variables`: iterations, learning rate, then
    /// momentums, velocities, …) that do not fit the optimizer they are given to.
    #[error("the optimizer's variables do not fit: {detail}")]
    OptimizerStateMismatch {
        /// What mismatches: the count, or which variable has which shape.
        detail: String,
    },
    /// A saved model whose architecture the prelude cannot rebuild: a layer class it lacks,
    /// an option its layers do not implement, a graph it cannot follow.
    #[error("{path}: cannot rebuild the saved model: {detail}")]
    UnsupportedModel {
        /// The file being loaded.
        path: PathBuf,
        /// What the prelude lacks, naming the layer.
        detail: String,
    },
    /// A saved layer config the prelude cannot read: a required option missing or of the
    /// wrong type, or a class no layer has. Loaders wrap it with the file's path.
    #[error("saved layer config of {class}: {}{problem}", field.as_deref().map(|f| format!("option '{f}': ")).unwrap_or_default())]
    LayerConfig {
        /// The layer's class, e.g. `Conv2D`.
        class: String,
        /// The option at fault, e.g. `filters`, when one is.
        field: Option<String>,
        /// What is wrong, e.g. `missing`.
        problem: String,
    },

    // ---- data files, datasets, preprocessing ---------------------------------------------
    /// A data file that is not there.
    #[error("{name}: file not found (looked for {path}){}", hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    MissingFile {
        /// What the file is, e.g. `MNIST training images`.
        name: String,
        /// The full path searched.
        path: PathBuf,
        /// Where to get it, or how to point the loader at it.
        hint: Option<String>,
    },
    /// A data file that is there but is not what it should be.
    #[error("{path}: {expected}")]
    CorruptFile {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found, e.g. `expected IDX magic 2051, found 2049`.
        expected: String,
    },
    /// A download that failed (network down, HTTP error, checksum mismatch).
    #[error("download of {url} failed: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },

    // ---- plotting ------------------------------------------------------------------------
    /// Drawing or encoding a figure failed.
    #[error("plot: {0}")]
    Plot(String),

    // ---- runtime -------------------------------------------------------------------------
    /// The user interrupted the cell (Jupyter's ■ button or Ctrl-C).
    #[error("interrupted by the user")]
    Interrupted,
    /// `input()` got no line: the front end does not allow input (nbconvert, papermill and
    /// `jupyter execute` do not), or stdin has ended.
    #[error("no input: this front end does not allow input (stdin), or the input has ended")]
    NoInput,
    /// An I/O error, with the path it happened on when known.
    #[error("{}{source}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
    Io {
        /// The file involved, if any.
        path: Option<PathBuf>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An error raised inside libtorch. Shown by its first line: libtorch's C++ location and
    /// stack frames are left out unless `FERROKERAS_BACKTRACE=1` (see
    /// [`crate::runtime::panic::readable_libtorch`]).
    #[error("libtorch: {}", torch_message(.0))]
    Torch(#[from] tch::TchError),
}

impl From<std::io::Error> for Error {
    fn from(source: std::io::Error) -> Self {
        Error::Io { path: None, source }
    }
}

impl Error {
    /// An I/O error on a known path.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: Some(path.into()),
            source,
        }
    }
}

/// A libtorch error's text without tch's "Internal torch error: " prefix and without the
/// C++ report.
fn torch_message(error: &tch::TchError) -> String {
    let text = match error {
        tch::TchError::Torch(message) => message.clone(),
        other => other.to_string(),
    };
    crate::runtime::panic::readable_libtorch(&text).to_string()
}

/// `Result` with [`Error`] as the error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Formats a shape Keras-style, with `None` for the batch axis: `[32, 28, 28]` → `(None, 28, 28)`.
///
/// ```
/// assert_eq!(ferrokeras::error::keras_shape(&[32, 28, 28]), "(None, 28, 28)");
/// assert_eq!(ferrokeras::error::keras_shape(&[5]), "(None,)");
/// ```
pub fn keras_shape(shape: &[i64]) -> String {
    let mut parts = vec!["None".to_string()];
    // Inner axes of any length (-1, Keras's None) show as None too.
    parts.extend(shape.iter().skip(1).map(|&d| {
        if d < 0 {
            "None".to_string()
        } else {
            d.to_string()
        }
    }));
    if parts.len() == 1 {
        "(None,)".to_string()
    } else {
        format!("({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_errors_show_libtorchs_first_line_only() {
        let raw = "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1\nException raised from infer_size_impl at /pytorch/aten/src/ATen/ExpandUtils.cpp:31 (most recent call first):\nframe #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x98";
        let shown = Error::Torch(tch::TchError::Torch(raw.into())).to_string();
        assert_eq!(
            shown,
            "libtorch: The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
        );
    }

    #[test]
    fn real_libtorch_errors_are_short() {
        let a = tch::Tensor::zeros([2, 3], (tch::Kind::Float, tch::Device::Cpu));
        let b = tch::Tensor::zeros([4], (tch::Kind::Float, tch::Device::Cpu));
        let err = Error::from(a.f_add(&b).unwrap_err()).to_string();
        assert!(err.contains("must match the size"), "{err}");
        assert!(err.len() < 300 && !err.contains("frame #"), "{err}");
    }
}
