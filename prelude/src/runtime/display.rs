//! Rich display of prelude values in the notebook.
//!
//! A value that implements [`Render`] shows as HTML, PNG, SVG or text when it is a cell's last
//! expression (evcxr calls `.evcxr_display()`, which [`EvcxrDisplay`] provides for every
//! `Render` type), and any code can [`display`] a value while a cell runs and later
//! [`DisplayHandle::update`] it in place.
//!
//! # Wire format (the contract with the kernel)
//! One line on stdout: `FERROKERAS_DISPLAY ` followed by a JSON object
//! `{"op": "display" | "update", "display_id": "<id>", "data": {mime: content}, "metadata": {}}`.
//! Binary content (PNG) is base64, as in Jupyter's `display_data`. The kernel turns a
//! `display` into `display_data` with `transient.display_id` and an `update` into
//! `update_display_data`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

/// The prefix of a display line on stdout.
pub const DISPLAY_LINE_PREFIX: &str = "FERROKERAS_DISPLAY ";

/// Whether this process runs cells for the ferrokeras kernel (so displays reach a notebook).
pub fn in_notebook() -> bool {
    super::settings::setting(|s| s.in_notebook)
}

/// One value in several representations, keyed by MIME type, as Jupyter sends them.
///
/// ```
/// use ferrokeras::runtime::MimeBundle;
/// let b = MimeBundle::text("3 apples").with_html("<b>3</b> apples");
/// assert_eq!(b.get("text/plain"), Some("3 apples"));
/// assert!(b.get("image/png").is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MimeBundle {
    data: BTreeMap<String, String>,
}

impl MimeBundle {
    /// A bundle with only `text/plain`.
    pub fn text(text: impl Into<String>) -> Self {
        let mut b = Self::default();
        b.data.insert("text/plain".into(), text.into());
        b
    }
    /// Adds (or replaces) a representation.
    pub fn with(mut self, mime: &str, content: impl Into<String>) -> Self {
        self.data.insert(mime.into(), content.into());
        self
    }
    /// Adds `text/html`.
    pub fn with_html(self, html: impl Into<String>) -> Self {
        self.with("text/html", html)
    }
    /// Adds `image/png` from the PNG file's bytes (stored base64-encoded).
    pub fn with_png(self, png: &[u8]) -> Self {
        use base64::Engine;
        self.with(
            "image/png",
            base64::engine::general_purpose::STANDARD.encode(png),
        )
    }
    /// Adds `image/svg+xml`.
    pub fn with_svg(self, svg: impl Into<String>) -> Self {
        self.with("image/svg+xml", svg)
    }
    /// The content for one MIME type.
    pub fn get(&self, mime: &str) -> Option<&str> {
        self.data.get(mime).map(String::as_str)
    }
    /// All representations, by MIME type.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.data.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.data
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        )
    }
}

/// A value that knows how to show itself in a notebook.
pub trait Render {
    /// The representations of this value. Always include `text/plain`.
    fn mime_bundle(&self) -> MimeBundle;
}

impl Render for MimeBundle {
    fn mime_bundle(&self) -> MimeBundle {
        self.clone()
    }
}

impl<T: Render + ?Sized> Render for &T {
    fn mime_bundle(&self) -> MimeBundle {
        (**self).mime_bundle()
    }
}

/// A cell ending in `model.summary()` or `plot_history(&h)` that returns a `Result`
/// shows the value, or the error's message.
impl<T: Render, E: fmt::Display> Render for Result<T, E> {
    fn mime_bundle(&self) -> MimeBundle {
        match self {
            Ok(v) => v.mime_bundle(),
            Err(e) => MimeBundle::text(format!("Error: {e}")),
        }
    }
}

/// The method evcxr looks for on a cell's last expression. Implemented for every [`Render`]
/// type; it prints evcxr's content markers, one block per MIME type.
pub trait EvcxrDisplay {
    /// Called by evcxr on a cell's final value.
    fn evcxr_display(&self);
}

impl<T: Render + ?Sized> EvcxrDisplay for T {
    fn evcxr_display(&self) {
        let bundle = self.mime_bundle();
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        for (mime, content) in bundle.iter() {
            let _ = writeln!(
                out,
                "EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT"
            );
        }
        let _ = out.flush();
    }
}

/// A display shown in the notebook that can be replaced in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayHandle {
    id: String,
}

impl DisplayHandle {
    /// The Jupyter display id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Replaces what this display shows with `value`.
    pub fn update(&self, value: &impl Render) {
        emit("update", &self.id, &value.mime_bundle());
    }
}

fn next_display_id() -> String {
    // The counter is process-wide (see `runtime::session_state`): each cell has its own copy of the
    // prelude, and a per-copy counter gave two cells the same id.
    let n = super::session_state::next_count("display-id");
    format!("ferrokeras-{}-{n}", std::process::id())
}

/// Shows `value` now, while the cell is still running, and returns a handle to update it.
///
/// In a notebook this sends `display_data`; elsewhere it prints the `text/plain` form.
///
/// ```
/// use ferrokeras::runtime::{display, MimeBundle};
/// let handle = display(&MimeBundle::text("epoch 1"));
/// handle.update(&MimeBundle::text("epoch 2"));
/// ```
pub fn display(value: &impl Render) -> DisplayHandle {
    let handle = DisplayHandle {
        id: next_display_id(),
    };
    emit("display", &handle.id, &value.mime_bundle());
    handle
}

fn emit(op: &str, id: &str, bundle: &MimeBundle) {
    if in_notebook() {
        let line = serde_json::json!({
            "op": op,
            "display_id": id,
            "data": bundle.to_json(),
            "metadata": {},
        });
        // One `println!` holds the stdout lock for the whole line, so a display line is never
        // interleaved with other output.
        println!("{DISPLAY_LINE_PREFIX}{line}");
    } else if let Some(text) = bundle.get("text/plain") {
        println!("{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_renders_value_or_error() {
        let ok: Result<MimeBundle, String> = Ok(MimeBundle::text("fine"));
        assert_eq!(ok.mime_bundle().get("text/plain"), Some("fine"));
        let err: Result<MimeBundle, String> = Err("bad shape".into());
        assert_eq!(
            err.mime_bundle().get("text/plain"),
            Some("Error: bad shape")
        );
    }

    #[test]
    fn png_is_base64() {
        let b = MimeBundle::text("x").with_png(&[0x89, b'P', b'N', b'G']);
        assert_eq!(b.get("image/png"), Some("iVBORw=="));
    }

    #[test]
    fn display_ids_are_unique() {
        assert_ne!(next_display_id(), next_display_id());
    }
}
