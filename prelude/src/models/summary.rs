//! `model.summary()`: Keras's table of layers, output shapes and parameter counts.

use super::model::Model;
use crate::error::keras_shape;
use crate::optimizers::OptimizerSpec;
use crate::runtime::progress::html_escape;
use crate::runtime::{MimeBundle, Render};

/// One row of a summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// `dense (Dense)`.
    pub layer: String,
    /// `(None, 512)`, or `?` before build.
    pub output_shape: String,
    /// The layer's parameter count.
    pub params: i64,
}

/// What `model.summary()` returns; shows as Keras's table (text) or an HTML table.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new()
///     .add(Input::new([32, 32, 3]))
///     .add(Conv2D::new(32, (3, 3)).activation("relu"));
/// let s = model.summary();
/// assert_eq!(s.total_params, 896);
/// assert!(s.to_string().contains("│ (None, 30, 30, 32)     │           896 │"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSummary {
    /// The model's name.
    pub name: String,
    /// The rows, input layer first for functional models.
    pub rows: Vec<SummaryRow>,
    /// All parameters.
    pub total_params: i64,
    /// Parameters the optimizer updates.
    pub trainable_params: i64,
    /// Frozen parameters and moving statistics.
    pub non_trainable_params: i64,
    /// Whether the model is built (counts are 0 otherwise).
    pub built: bool,
    /// The optimizer's variables once it has taken a step (Keras adds this line after
    /// training): slots per trainable parameter, plus the iteration count and learning rate.
    pub optimizer_params: Option<i64>,
}

/// `407,050`.
pub fn thousands(n: i64) -> String {
    let s = n.abs().to_string();
    let head = s.len() % 3;
    let mut out = s[..head].to_string();
    for chunk in s.as_bytes()[head..].chunks(3) {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Keras's readable size of `params` float32 values: `1.55 MB`.
fn memory(params: i64) -> String {
    bytes(params as f64 * 4.0)
}

/// Keras's readable size of a byte count.
fn bytes(mut size: f64) -> String {
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        if size / 1024.0 < 1.0 {
            return format!("{size:.2} {unit}");
        }
        size /= 1024.0;
    }
    format!("{size:.2} PB")
}

impl Model {
    /// Keras's summary table (shows as a table when it ends a cell; `println!("{}", …)` prints it).
    pub fn summary(&self) -> ModelSummary {
        let built = self.build().is_ok();
        let mut rows = Vec::new();
        let state = self.0.borrow();
        if state.functional {
            if let Some(input) = &state.input {
                let mut full = vec![-1];
                full.extend(input.shape());
                rows.push(SummaryRow {
                    layer: format!("{} (InputLayer)", input.name()),
                    output_shape: keras_shape(&full),
                    params: 0,
                });
            }
        }
        let (mut trainable, mut frozen) = (0, 0);
        let mut seen: Vec<crate::layers::Layer> = Vec::new();
        for l in &state.layers {
            let (t, n) = l.param_counts();
            if !seen.iter().any(|s| s.same(l)) {
                trainable += t;
                frozen += n;
                seen.push(l.clone());
            }
            let shape = match l.output_shape() {
                Some(s) if built => {
                    let mut full = vec![-1];
                    full.extend(s);
                    keras_shape(&full)
                }
                _ => "?".to_string(),
            };
            rows.push(SummaryRow {
                layer: format!("{} ({})", l.name(), l.class_name()),
                output_shape: shape,
                params: t + n,
            });
        }
        let optimizer_params = state.compiled.as_ref().and_then(|c| {
            c.state.as_ref()?;
            let slots = match c.spec {
                OptimizerSpec::Adam(_) | OptimizerSpec::AdamW(_) => 2,
                OptimizerSpec::RMSprop(o) => {
                    1 + i64::from(o.momentum > 0.0) + i64::from(o.centered)
                }
                OptimizerSpec::SGD(o) => i64::from(o.momentum > 0.0),
                OptimizerSpec::Adagrad(_) => 1,
            };
            Some(slots * trainable + 2)
        });
        ModelSummary {
            name: state.name.clone(),
            rows,
            total_params: trainable + frozen + optimizer_params.unwrap_or(0),
            trainable_params: trainable,
            non_trainable_params: frozen,
            built,
            optimizer_params,
        }
    }
}

impl std::fmt::Display for ModelSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers = ["Layer (type)", "Output Shape", "Param #"];
        let cells: Vec<[String; 3]> = self
            .rows
            .iter()
            .map(|r| {
                let p = if self.built {
                    thousands(r.params)
                } else {
                    "0 (unbuilt)".into()
                };
                [r.layer.clone(), r.output_shape.clone(), p]
            })
            .collect();
        let mut w = [31usize, 22, 13];
        for row in cells
            .iter()
            .chain(std::iter::once(&headers.map(String::from)))
        {
            for (i, c) in row.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |l: &str, m: &str, r: &str, h: &str| {
            format!(
                "{l}{}{m}{}{m}{}{r}",
                h.repeat(w[0] + 2),
                h.repeat(w[1] + 2),
                h.repeat(w[2] + 2)
            )
        };
        let row = |c: &[String; 3], bar: &str| {
            format!(
                "{bar} {:<a$} {bar} {:<b$} {bar} {:>c$} {bar}",
                c[0],
                c[1],
                c[2],
                a = w[0],
                b = w[1],
                c = w[2]
            )
        };
        writeln!(f, "Model: \"{}\"", self.name)?;
        writeln!(f, "{}", line("┏", "┳", "┓", "━"))?;
        writeln!(f, "{}", row(&headers.map(String::from), "┃"))?;
        writeln!(f, "{}", line("┡", "╇", "┩", "━"))?;
        for (i, c) in cells.iter().enumerate() {
            writeln!(f, "{}", row(c, "│"))?;
            if i + 1 < cells.len() {
                writeln!(f, "{}", line("├", "┼", "┤", "─"))?;
            }
        }
        writeln!(f, "{}", line("└", "┴", "┘", "─"))?;
        write!(f, "{}", self.footer().join("\n"))
    }
}

impl ModelSummary {
    /// The lines under the table: total, trainable, non-trainable (and optimizer) params.
    pub fn footer(&self) -> Vec<String> {
        // The optimizer's iteration count is an int64 and its learning rate a float32.
        let opt_bytes = self
            .optimizer_params
            .map_or(0.0, |n| (n - 2) as f64 * 4.0 + 12.0);
        let total_bytes =
            (self.trainable_params + self.non_trainable_params) as f64 * 4.0 + opt_bytes;
        let mut lines = vec![
            format!(
                " Total params: {} ({})",
                thousands(self.total_params),
                bytes(total_bytes)
            ),
            format!(
                " Trainable params: {} ({})",
                thousands(self.trainable_params),
                memory(self.trainable_params)
            ),
            format!(
                " Non-trainable params: {} ({})",
                thousands(self.non_trainable_params),
                memory(self.non_trainable_params)
            ),
        ];
        if let Some(n) = self.optimizer_params {
            lines.push(format!(
                " Optimizer params: {} ({})",
                thousands(n),
                bytes(opt_bytes)
            ));
        }
        lines
    }
}

impl Render for ModelSummary {
    fn mime_bundle(&self) -> MimeBundle {
        let mut html = format!(
            "<div><b>Model: \"{}\"</b><table><thead><tr><th style=\"text-align:left\">Layer (type)</th><th style=\"text-align:left\">Output Shape</th><th style=\"text-align:right\">Param #</th></tr></thead><tbody>",
            html_escape(&self.name)
        );
        for r in &self.rows {
            html.push_str(&format!(
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:right\">{}</td></tr>",
                html_escape(&r.layer),
                html_escape(&r.output_shape),
                thousands(r.params)
            ));
        }
        html.push_str(&format!(
            "</tbody></table><pre style=\"margin:0\">{}</pre></div>",
            html_escape(&self.footer().join("\n"))
        ));
        MimeBundle::text(self.to_string()).with_html(html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_keras() {
        assert_eq!(thousands(407050), "407,050");
        assert_eq!(thousands(896), "896");
        assert_eq!(memory(407050), "1.55 MB");
        assert_eq!(memory(0), "0.00 B");
        assert_eq!(memory(896), "3.50 KB");
    }
}
