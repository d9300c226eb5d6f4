//! `model.summary()`: Keras's table of layers, output shapes and parameter counts.

use super::graph::Graph;
use super::model::Model;
use crate::error::keras_shape;
use crate::layers::{KerasTensor, Layer};
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
    /// For a functional model that is not a plain chain: the tensors the layer is called
    /// on, Keras's "Connected to" (`dense[0][0]`); empty for inputs (shown as `-`).
    pub connected_to: Vec<String>,
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
    /// Whether the table has Keras's "Connected to" column (a functional model with branches,
    /// merges, several inputs or outputs, or shared layers).
    pub connections: bool,
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
        let state = self.0.borrow();
        let graph = state.graph.clone();
        let layers = self.layers();
        let connections = graph
            .as_ref()
            .is_some_and(|g| self.is_functional() && !chain_like(g));
        let shape_of = |l: &Layer| -> String {
            let out = graph
                .as_ref()
                .and_then(|g| {
                    g.nodes()
                        .iter()
                        .find(|n| n.layer().same(l))
                        .map(KerasTensor::shape)
                })
                .or_else(|| l.output_shape());
            match out {
                Some(s) if built => keras_shape(&[[-1].as_slice(), &s].concat()),
                _ => "?".to_string(),
            }
        };
        let (mut trainable, mut frozen) = (0, 0);
        let mut rows = Vec::with_capacity(layers.len());
        for l in &layers {
            let (t, n) = l.param_counts();
            trainable += t;
            frozen += n;
            let connected_to = match (&graph, connections) {
                (Some(g), true) => connected_to(g, l),
                _ => Vec::new(),
            };
            rows.push(SummaryRow {
                layer: format!("{} ({})", l.name(), l.class_name()),
                output_shape: shape_of(l),
                params: t + n,
                connected_to,
            });
        }
        let optimizer_params = state.compiled.as_ref().and_then(|c| {
            // Busy only while a training step holds it, bound then.
            if c.state.try_borrow().is_ok_and(|s| s.is_none()) {
                return None;
            }
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
            connections,
            optimizer_params,
        }
    }
}

/// Whether the graph is a plain chain (Keras then prints the summary without "Connected to"):
/// one input, each node called on the node before it, every layer called once.
fn chain_like(g: &Graph) -> bool {
    let nodes = g.nodes();
    g.inputs.len() == 1
        && g.outputs.len() == 1
        && nodes
            .windows(2)
            .all(|w| w[1].inputs().len() == 1 && w[1].inputs()[0].same(&w[0]))
        && g.layers().len() == nodes.len()
}

/// Keras's "Connected to" of a layer: `name[node][0]` for each tensor its calls in this graph
/// read, where `node` counts the producing layer's calls in the graph.
fn connected_to(g: &Graph, layer: &Layer) -> Vec<String> {
    let nodes = g.nodes();
    let call_index = |t: &KerasTensor| {
        let producer = t.layer();
        nodes
            .iter()
            .filter(|n| n.layer().same(&producer))
            .position(|n| n.same(t))
            .unwrap_or(0)
    };
    nodes
        .iter()
        .filter(|n| n.layer().same(layer))
        .flat_map(|n| n.inputs().to_vec())
        .map(|t| format!("{}[{}][0]", t.name(), call_index(&t)))
        .collect()
}

impl std::fmt::Display for ModelSummary {
    /// Keras's table as it prints in a notebook (80 columns): fixed column widths, text
    /// wrapped at spaces, a word too long for its column cut with `…`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut headers = vec!["Layer (type)", "Output Shape", "Param #"];
        let mut w: Vec<usize> = vec![31, 22, 13];
        if self.connections {
            headers.push("Connected to");
            w = vec![19, 17, 10, 17];
        }
        let cells: Vec<Vec<Vec<String>>> = self
            .rows
            .iter()
            .map(|r| {
                let p = if self.built {
                    thousands(r.params)
                } else {
                    "0 (unbuilt)".into()
                };
                let mut row = vec![r.layer.clone(), r.output_shape.clone(), p];
                if self.connections {
                    row.push(connection_text(&r.connected_to));
                }
                row.iter().zip(&w).map(|(c, &n)| wrap(c, n)).collect()
            })
            .collect();
        let header_cells: Vec<Vec<String>> =
            headers.iter().zip(&w).map(|(h, &n)| wrap(h, n)).collect();
        let line = |l: &str, m: &str, r: &str, h: &str| {
            let parts: Vec<String> = w.iter().map(|n| h.repeat(n + 2)).collect();
            format!("{l}{}{r}", parts.join(m))
        };
        let row = |c: &[Vec<String>], bar: &str| -> String {
            let height = c.iter().map(Vec::len).max().unwrap_or(1);
            (0..height)
                .map(|k| {
                    let mut out = String::from(bar);
                    for (i, cell) in c.iter().enumerate() {
                        let text = cell.get(k).map_or("", String::as_str);
                        // Parameter counts are right-aligned, as in Keras.
                        if i == 2 {
                            out.push_str(&format!(" {text:>0$} {bar}", w[i]));
                        } else {
                            out.push_str(&format!(" {text:<0$} {bar}", w[i]));
                        }
                    }
                    out
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        writeln!(f, "Model: \"{}\"", self.name)?;
        writeln!(f, "{}", line("┏", "┳", "┓", "━"))?;
        writeln!(f, "{}", row(&header_cells, "┃"))?;
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

/// Keras's "Connected to" cell: `-` for an input, else the tensors joined by `, `.
fn connection_text(connected: &[String]) -> String {
    if connected.is_empty() {
        "-".to_string()
    } else {
        connected.join(", ")
    }
}

/// Wraps `text` at spaces into lines of at most `width` characters, as Keras's table does;
/// a line still too long (one long word) is cut and ends in `…`.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
        .into_iter()
        .map(|l| {
            if l.chars().count() > width {
                let mut cut: String = l.chars().take(width.saturating_sub(1)).collect();
                cut.push('…');
                cut
            } else {
                l
            }
        })
        .collect()
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
        if self.connections {
            html = html.replace(
                "Param #</th></tr>",
                "Param #</th><th style=\"text-align:left\">Connected to</th></tr>",
            );
        }
        for r in &self.rows {
            html.push_str(&format!(
                "<tr><td style=\"text-align:left\">{}</td><td style=\"text-align:left\">{}</td><td style=\"text-align:right\">{}</td>",
                html_escape(&r.layer),
                html_escape(&r.output_shape),
                thousands(r.params)
            ));
            if self.connections {
                html.push_str(&format!(
                    "<td style=\"text-align:left\">{}</td>",
                    html_escape(&connection_text(&r.connected_to))
                ));
            }
            html.push_str("</tr>");
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

    /// Keras wraps cells at spaces and cuts a word too long for its column with `…`.
    #[test]
    fn cells_wrap_like_keras() {
        assert_eq!(
            wrap("input_layer (InputLayer)", 19),
            ["input_layer", "(InputLayer)"]
        );
        assert_eq!(
            wrap("lstm[0][0], lstm_1[0][0], tags[0][0]", 17),
            ["lstm[0][0],", "lstm_1[0][0],", "tags[0][0]"]
        );
        assert_eq!(
            wrap("input_layer[0][0], input_layer_1[0][0]", 17),
            ["input_layer[0][0…", "input_layer_1[0]…"]
        );
        assert_eq!(wrap("dense (Dense)", 31), ["dense (Dense)"]);
    }
}
