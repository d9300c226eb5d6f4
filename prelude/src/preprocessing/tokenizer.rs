//! Keras's word `Tokenizer` (`keras.preprocessing.text.Tokenizer`) and `pad_sequences`.

use crate::error::{Error, Result};
use std::collections::HashMap;
use tch::Tensor;

/// Keras's default `filters`: punctuation, tabs and newlines.
pub const DEFAULT_FILTERS: &str = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n";

/// Splits text into words as Keras's `text_to_word_sequence`: lowercases (when `lower`),
/// replaces every character of `filters` by `split`, splits on `split`, drops empty words.
pub fn text_to_word_sequence(text: &str, filters: &str, lower: bool, split: char) -> Vec<String> {
    let text = if lower {
        text.to_lowercase()
    } else {
        text.to_string()
    };
    let mapped: String = text
        .chars()
        .map(|c| if filters.contains(c) { split } else { c })
        .collect();
    mapped
        .split(split)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Turns texts into sequences of word indices. Index 0 is reserved (padding); the most
/// frequent word gets 1 (ties in order of first appearance), as in Keras.
///
/// ```
/// use ferrokeras::prelude::*;
/// let mut tokenizer = Tokenizer::default();
/// tokenizer.fit_on_texts(&["The cat sat.", "the cat ran!"]);
/// assert_eq!(tokenizer.word_index["the"], 1);
/// assert_eq!(tokenizer.index_word[&3], "sat");
/// let seqs = tokenizer.texts_to_sequences(&["the dog ran"]);
/// assert_eq!(seqs, vec![vec![1, 4]]); // "dog" is unknown and dropped
/// let vocab_size = tokenizer.word_index.len() + 1; // + 1 for the reserved 0
/// assert_eq!(vocab_size, 5);
/// ```
#[derive(Debug, Clone)]
pub struct Tokenizer {
    /// Keep only the `num_words - 1` most frequent words in `texts_to_sequences`.
    pub num_words: Option<usize>,
    /// Characters removed from the texts.
    pub filters: String,
    /// Lowercase the texts.
    pub lower: bool,
    /// The word separator.
    pub split: char,
    /// A token for unknown words (gets index 1 when set).
    pub oov_token: Option<String>,
    /// Word → count, in order of first appearance.
    pub word_counts: Vec<(String, usize)>,
    /// Word → index (from 1).
    pub word_index: HashMap<String, i64>,
    /// Index → word.
    pub index_word: HashMap<i64, String>,
    /// The number of texts fitted on.
    pub document_count: usize,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self {
            num_words: None,
            filters: DEFAULT_FILTERS.to_string(),
            lower: true,
            split: ' ',
            oov_token: None,
            word_counts: Vec::new(),
            word_index: HashMap::new(),
            index_word: HashMap::new(),
            document_count: 0,
        }
    }
}

impl Tokenizer {
    /// A tokenizer with Keras's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    fn words(&self, text: &str) -> Vec<String> {
        text_to_word_sequence(text, &self.filters, self.lower, self.split)
    }

    /// Counts the words of `texts` and (re)builds `word_index` / `index_word`.
    pub fn fit_on_texts<S: AsRef<str>>(&mut self, texts: &[S]) {
        let mut pos: HashMap<String, usize> = self
            .word_counts
            .iter()
            .enumerate()
            .map(|(i, (w, _))| (w.clone(), i))
            .collect();
        for t in texts {
            self.document_count += 1;
            for w in self.words(t.as_ref()) {
                match pos.get(&w) {
                    Some(&i) => self.word_counts[i].1 += 1,
                    None => {
                        pos.insert(w.clone(), self.word_counts.len());
                        self.word_counts.push((w, 1));
                    }
                }
            }
        }
        let mut sorted = self.word_counts.clone();
        sorted.sort_by_key(|w| std::cmp::Reverse(w.1)); // stable: ties keep first appearance
        let mut vocab: Vec<String> = self.oov_token.iter().cloned().collect();
        vocab.extend(
            sorted
                .into_iter()
                .map(|(w, _)| w)
                .filter(|w| Some(w) != self.oov_token.as_ref()),
        );
        self.word_index = vocab
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as i64 + 1))
            .collect();
        self.index_word = vocab
            .into_iter()
            .enumerate()
            .map(|(i, w)| (i as i64 + 1, w))
            .collect();
    }

    /// The word indices of each text; unknown words (and, with `num_words`, rare ones) are
    /// dropped, or become the `oov_token`'s index when there is one.
    pub fn texts_to_sequences<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Vec<i64>> {
        let oov = self
            .oov_token
            .as_ref()
            .and_then(|t| self.word_index.get(t))
            .copied();
        texts
            .iter()
            .map(|t| {
                self.words(t.as_ref())
                    .iter()
                    .filter_map(|w| match self.word_index.get(w) {
                        Some(&i) if self.num_words.is_none_or(|n| (i as usize) < n) => Some(i),
                        _ => oov,
                    })
                    .collect()
            })
            .collect()
    }

    /// The texts of index sequences (unknown indices skipped).
    pub fn sequences_to_texts(&self, sequences: &[Vec<i64>]) -> Vec<String> {
        sequences
            .iter()
            .map(|s| {
                s.iter()
                    .filter_map(|i| self.index_word.get(i).cloned())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }
}

/// Pads (with 0 in front) or truncates (from the front) sequences to one length, as Keras's
/// `pad_sequences` with its defaults; `maxlen: None` takes the longest. Output
/// `(N, maxlen)` `Kind::Int64`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = pad_sequences(&[vec![1, 2], vec![3, 4, 5, 6]], Some(3))?;
/// assert_eq!(Vec::<i64>::try_from(x.reshape([-1])).unwrap(), vec![0, 1, 2, 4, 5, 6]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn pad_sequences(sequences: &[Vec<i64>], maxlen: Option<usize>) -> Result<Tensor> {
    let len = maxlen.unwrap_or_else(|| sequences.iter().map(Vec::len).max().unwrap_or(0));
    if len == 0 {
        return Err(Error::InvalidArgument(
            "pad_sequences: every sequence is empty and no maxlen was given".into(),
        ));
    }
    let mut out = vec![0i64; sequences.len() * len];
    for (r, s) in sequences.iter().enumerate() {
        let tail = &s[s.len().saturating_sub(len)..];
        let start = r * len + len - tail.len();
        out[start..start + tail.len()].copy_from_slice(tail);
    }
    Ok(Tensor::from_slice(&out).reshape([sequences.len() as i64, len as i64]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_word_order_filters_and_oov() {
        let mut t = Tokenizer {
            oov_token: Some("<OOV>".into()),
            num_words: Some(4),
            ..Default::default()
        };
        t.fit_on_texts(&["b a, a!", "c\tb\na"]);
        // counts: a 3, b 2, c 1 → <OOV> 1, a 2, b 3, c 4
        assert_eq!(t.word_index["<OOV>"], 1);
        assert_eq!(t.word_index["a"], 2);
        assert_eq!(t.word_index["c"], 4);
        // c (index 4) is cut by num_words=4 and becomes OOV, like "zzz"
        assert_eq!(t.texts_to_sequences(&["A c zzz b"]), vec![vec![2, 1, 1, 3]]);
        assert_eq!(t.sequences_to_texts(&[vec![2, 3]]), vec!["a b"]);
        assert_eq!(
            text_to_word_sequence("Hi--there  You", DEFAULT_FILTERS, true, ' '),
            vec!["hi", "there", "you"]
        );
    }
}
