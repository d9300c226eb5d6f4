//! How a [`Table`] shows in the notebook: an HTML table like pandas's, and aligned text.

use super::table::Table;
use crate::runtime::{MimeBundle, Render};

/// Rows shown in full; longer tables show the first and last five.
const MAX_ROWS: usize = 20;

fn shown_rows(n: usize) -> (Vec<usize>, bool) {
    if n <= MAX_ROWS {
        ((0..n).collect(), false)
    } else {
        ((0..5).chain(n - 5..n).collect(), true)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Table {
    /// The table as aligned text, as `print(df)` shows it.
    pub fn to_text(&self) -> String {
        let (rows, cut) = shown_rows(self.len());
        let mut grid: Vec<Vec<String>> = vec![std::iter::once(String::new())
            .chain(self.column_names().iter().map(|s| s.to_string()))
            .collect()];
        for (k, &r) in rows.iter().enumerate() {
            if cut && k == 5 {
                grid.push(vec!["...".to_string(); self.columns().len() + 1]);
            }
            grid.push(
                std::iter::once(r.to_string())
                    .chain(self.columns().iter().map(|c| c.cell(r)))
                    .collect(),
            );
        }
        let widths: Vec<usize> = (0..grid[0].len())
            .map(|j| {
                grid.iter()
                    .map(|row| row[j].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &grid {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(j, (c, w))| {
                    if j == 0 {
                        format!("{c:<w$}")
                    } else {
                        format!("{c:>w$}")
                    }
                })
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        if cut {
            out.push_str(&format!(
                "\n[{} rows x {} columns]",
                self.len(),
                self.columns().len()
            ));
        }
        out.trim_end().to_string()
    }

    /// The table as an HTML `<table>` (pandas's notebook look).
    pub fn to_html(&self) -> String {
        let (rows, cut) = shown_rows(self.len());
        let mut h = String::from("<table class=\"dataframe\" border=\"1\">\n<thead><tr><th></th>");
        for n in self.column_names() {
            h.push_str(&format!("<th>{}</th>", escape(n)));
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for (k, &r) in rows.iter().enumerate() {
            if cut && k == 5 {
                h.push_str("<tr><th>...</th>");
                h.push_str(&"<td>...</td>".repeat(self.columns().len()));
                h.push_str("</tr>\n");
            }
            h.push_str(&format!("<tr><th>{r}</th>"));
            for c in self.columns() {
                h.push_str(&format!("<td>{}</td>", escape(&c.cell(r))));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table>");
        if cut {
            h.push_str(&format!(
                "\n<p>{} rows × {} columns</p>",
                self.len(),
                self.columns().len()
            ));
        }
        h
    }
}

impl Render for Table {
    fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::text(self.to_text()).with_html(self.to_html())
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::*;
    use super::*;

    #[test]
    fn head_renders_html_and_text() {
        let t = Table::from_columns(vec![
            Column::text("class", vec!["unacc".into(), "<b>".into()]),
            Column::float("x", vec![1.0, 2.5]),
        ])
        .unwrap();
        let b = t.head(5).mime_bundle();
        assert_eq!(
            b.get("text/plain"),
            Some("   class    x\n0  unacc    1\n1    <b>  2.5")
        );
        let html = b.get("text/html").unwrap();
        assert!(html.contains("<th>class</th><th>x</th>"), "{html}");
        assert!(
            html.contains("<tr><th>1</th><td>&lt;b&gt;</td><td>2.5</td></tr>"),
            "{html}"
        );
    }

    #[test]
    fn long_tables_are_cut() {
        let t = Table::from_columns(vec![Column::float("v", (0..30).map(f64::from).collect())])
            .unwrap();
        let text = t.to_text();
        assert!(text.contains("..."));
        assert!(text.ends_with("[30 rows x 1 columns]"), "{text}");
        assert!(text
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["29", "29"]));
    }
}
