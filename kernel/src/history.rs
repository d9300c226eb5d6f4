//! The session's cells for `history_request` (JupyterLab's console and `%history`-style
//! clients ask for them) and the execution counter they are numbered by.

use jupyter_protocol::{HistoryEntry, HistoryRequest};

/// IPython numbers sessions; this kernel's history holds only the running one.
const SESSION: usize = 1;

#[derive(Default)]
pub struct History {
    /// `(execution count, input, text/plain of the result)` of every stored cell.
    cells: Vec<(usize, String, Option<String>)>,
    count: usize,
}

impl History {
    /// The execution count of the next cell; counts it when the cell is stored in history.
    pub fn next_count(&mut self, stored: bool) -> usize {
        if stored {
            self.count += 1;
        }
        self.count
    }

    pub fn count(&self) -> usize {
        self.count
    }

    /// Remembers the cell just counted by `next_count`.
    pub fn record(&mut self, input: &str, output: Option<String>) {
        self.cells.push((self.count, input.to_string(), output));
    }

    /// The entries a request asks for: the last `n`, a `[start, stop)` range of execution
    /// counts (a `stop` of 0 or less means to the end), or a glob search (`*`, `?`).
    pub fn reply(&self, request: &HistoryRequest) -> Vec<HistoryEntry> {
        let (cells, output): (Vec<_>, bool) = match request {
            HistoryRequest::Tail { n, output, .. } => {
                let n = usize::try_from(*n).unwrap_or(0);
                let skip = self.cells.len().saturating_sub(n);
                (self.cells.iter().skip(skip).collect(), *output)
            }
            HistoryRequest::Range {
                start,
                stop,
                output,
                ..
            } => {
                let start = usize::try_from(*start).unwrap_or(0);
                let stop = usize::try_from(*stop).ok().filter(|s| *s > 0);
                let cells = self
                    .cells
                    .iter()
                    .filter(|(line, _, _)| *line >= start && stop.is_none_or(|stop| *line < stop));
                (cells.collect(), *output)
            }
            HistoryRequest::Search {
                pattern, output, n, ..
            } => {
                let found: Vec<_> = self
                    .cells
                    .iter()
                    .filter(|(_, input, _)| glob(pattern.as_bytes(), input.as_bytes()))
                    .collect();
                // IPython: the last n matches; n of 0 or less means all of them.
                let keep = usize::try_from(*n)
                    .ok()
                    .filter(|n| *n > 0)
                    .unwrap_or(found.len());
                let skip = found.len().saturating_sub(keep);
                (found.into_iter().skip(skip).collect(), *output)
            }
        };
        cells
            .into_iter()
            .map(|(line, input, out)| {
                if output {
                    let out = out.clone().unwrap_or_default();
                    HistoryEntry::InputOutput(SESSION, *line, (input.clone(), out))
                } else {
                    HistoryEntry::Input(SESSION, *line, input.clone())
                }
            })
            .collect()
    }
}

/// Shell-style matching of the whole text, as IPython's history search (SQLite GLOB).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((b'?', rest)) => !text.is_empty() && glob(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        for (code, out) in [
            ("let a = 1;", None),
            ("a + 1", Some("2")),
            ("a * 3", Some("3")),
        ] {
            h.next_count(true);
            h.record(code, out.map(str::to_string));
        }
        h
    }

    fn inputs(entries: Vec<HistoryEntry>) -> Vec<(usize, String)> {
        entries
            .into_iter()
            .map(|e| match e {
                HistoryEntry::Input(_, line, input) => (line, input),
                HistoryEntry::InputOutput(_, line, (input, out)) => (line, input + "=" + &out),
            })
            .collect()
    }

    #[test]
    fn tail_range_and_search_pick_cells() {
        let h = history();
        let tail = HistoryRequest::Tail {
            n: 2,
            output: false,
            raw: true,
        };
        assert_eq!(
            inputs(h.reply(&tail)),
            [(2, "a + 1".into()), (3, "a * 3".into())]
        );
        let range = HistoryRequest::Range {
            session: None,
            start: 1,
            stop: 3,
            output: true,
            raw: true,
        };
        assert_eq!(
            inputs(h.reply(&range)),
            [(1, "let a = 1;=".into()), (2, "a + 1=2".into())]
        );
        let search = HistoryRequest::Search {
            pattern: "a ?*".into(),
            unique: false,
            output: false,
            raw: true,
            n: 0,
        };
        assert_eq!(inputs(h.reply(&search)).len(), 2);
    }
}
