//! Character-level text helpers of the course's Shakespeare generator: the vocabulary
//! (`chars`, `char_to_idx`), sliding windows of `SEQ_LEN` characters, and sampling the next
//! index with a temperature.

use crate::error::{Error, Result};
use rand::Rng;
use std::collections::HashMap;
use tch::{Kind, Tensor};

/// The sorted distinct characters of `text` (`sorted(set(text))`).
///
/// ```
/// use ferrokeras::prelude::*;
/// assert_eq!(chars("abca"), vec!['a', 'b', 'c']);
/// ```
pub fn chars(text: &str) -> Vec<char> {
    let mut c: Vec<char> = text.chars().collect();
    c.sort_unstable();
    c.dedup();
    c
}

/// `{c: i for i, c in enumerate(chars)}`.
pub fn char_to_idx(chars: &[char]) -> HashMap<char, i64> {
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as i64))
        .collect()
}

/// `{i: c for i, c in enumerate(chars)}`.
pub fn idx_to_char(chars: &[char]) -> HashMap<i64, char> {
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| (i as i64, c))
        .collect()
}

/// A character vocabulary: `chars`, `char_to_idx` and `idx_to_char` together.
///
/// ```
/// use ferrokeras::prelude::*;
/// let vocab = CharVocab::new("to be or not");
/// assert_eq!(vocab.len(), 7); // ' ', b, e, n, o, r, t
/// let ids = vocab.encode("be")?;
/// assert_eq!(vocab.decode(&ids), "be");
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CharVocab {
    /// The sorted distinct characters; index `i` is `chars[i]`.
    pub chars: Vec<char>,
    /// Character → index.
    pub char_to_idx: HashMap<char, i64>,
    /// Index → character.
    pub idx_to_char: HashMap<i64, char>,
}

impl CharVocab {
    /// The vocabulary of `text`.
    pub fn new(text: &str) -> Self {
        let c = chars(text);
        Self {
            char_to_idx: char_to_idx(&c),
            idx_to_char: idx_to_char(&c),
            chars: c,
        }
    }
    /// The number of characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }
    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }
    /// The indices of `text`'s characters; a character not in the vocabulary is an error.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        text.chars()
            .map(|c| {
                self.char_to_idx.get(&c).copied().ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "character {c:?} is not in the vocabulary of {} characters",
                        self.len()
                    ))
                })
            })
            .collect()
    }
    /// The indices, with 0 for unknown characters (`char_to_idx.get(c, 0)`).
    pub fn encode_lossy(&self, text: &str) -> Vec<i64> {
        text.chars()
            .map(|c| self.char_to_idx.get(&c).copied().unwrap_or(0))
            .collect()
    }
    /// The text of indices (unknown indices are skipped).
    pub fn decode(&self, ids: &[i64]) -> String {
        ids.iter().filter_map(|i| self.idx_to_char.get(i)).collect()
    }
}

/// Sliding windows over a sequence: for `i` in `range(0, len - seq_len, step)`, the window
/// `ids[i..i + seq_len]` and the next id `ids[i + seq_len]`.
///
/// Output: `x (N, seq_len)` and `y (N,)`, both `Kind::Int64`.
///
/// ```
/// use ferrokeras::prelude::*;
/// let (x, y) = sliding_windows(&[0, 1, 2, 3, 4, 5, 6], 3, 2)?;
/// assert_eq!(x.size(), vec![2, 3]); // windows at 0 and 2
/// assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![3, 5]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn sliding_windows(ids: &[i64], seq_len: usize, step: usize) -> Result<(Tensor, Tensor)> {
    if seq_len == 0 || step == 0 {
        return Err(Error::InvalidArgument(format!(
            "sliding_windows: seq_len and step must be positive, got {seq_len} and {step}"
        )));
    }
    if ids.len() <= seq_len {
        return Err(Error::InvalidArgument(format!(
            "sliding_windows: a sequence of {} ids is too short for windows of {seq_len} plus a target",
            ids.len()
        )));
    }
    let starts: Vec<usize> = (0..ids.len() - seq_len).step_by(step).collect();
    let mut x = Vec::with_capacity(starts.len() * seq_len);
    let mut y = Vec::with_capacity(starts.len());
    for &i in &starts {
        x.extend_from_slice(&ids[i..i + seq_len]);
        y.push(ids[i + seq_len]);
    }
    Ok((
        Tensor::from_slice(&x).reshape([starts.len() as i64, seq_len as i64]),
        Tensor::from_slice(&y),
    ))
}

/// Draws an index from probabilities `probs` sharpened or flattened by `temperature`:
/// `p ∝ exp(log(probs + 1e-8) / temperature)`, as the course's `generate()` does. Low
/// temperatures pick the likeliest index, high ones are more random. `rng` makes it
/// repeatable (e.g. `StdRng::seed_from_u64(42)`).
///
/// ```
/// use ferrokeras::prelude::*;
/// use rand::SeedableRng;
/// let mut rng = rand::rngs::StdRng::seed_from_u64(0);
/// let probs = Tensor::from_slice(&[0.1f32, 0.7, 0.2]);
/// let i = sample_with_temperature(&probs, 0.01, &mut rng)?;
/// assert_eq!(i, 1);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn sample_with_temperature(
    probs: &Tensor,
    temperature: f64,
    rng: &mut impl Rng,
) -> Result<i64> {
    if temperature <= 0.0 || !temperature.is_finite() {
        return Err(Error::InvalidArgument(format!(
            "temperature must be positive, got {temperature}"
        )));
    }
    let p = Vec::<f64>::try_from(
        probs
            .to_kind(Kind::Double)
            .to_device(tch::Device::Cpu)
            .reshape([-1]),
    )?;
    if p.is_empty() {
        return Err(Error::InvalidArgument(
            "sample: empty probability vector".into(),
        ));
    }
    let logits: Vec<f64> = p
        .iter()
        .map(|&v| (v.max(0.0) + 1e-8).ln() / temperature)
        .collect();
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut r = rng.random::<f64>() * total;
    for (i, wi) in w.iter().enumerate() {
        if r < *wi {
            return Ok(i as i64);
        }
        r -= wi;
    }
    Ok((w.len() - 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn temperature_flattens_and_sharpens() {
        let probs = Tensor::from_slice(&[0.6f32, 0.3, 0.1]);
        let count = |t: f64| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(1);
            let mut c = [0usize; 3];
            for _ in 0..3000 {
                c[sample_with_temperature(&probs, t, &mut rng).unwrap() as usize] += 1;
            }
            c
        };
        let cold = count(0.2);
        let one = count(1.0);
        let hot = count(5.0);
        assert!(cold[0] > 2900, "{cold:?}");
        assert!((one[0] as f64 / 3000.0 - 0.6).abs() < 0.05, "{one:?}");
        assert!(hot[2] > 600, "{hot:?}");
        assert_eq!(count(1.0), one, "seeded draws repeat");
        assert!(
            sample_with_temperature(&probs, 0.0, &mut rand::rngs::StdRng::seed_from_u64(0))
                .is_err()
        );
    }

    #[test]
    fn windows_match_the_python_loop() {
        let text = "abcdefghij";
        let v = CharVocab::new(text);
        let ids = v.encode(text).unwrap();
        let (x, y) = sliding_windows(&ids, 4, 3).unwrap();
        // range(0, 10 - 4, 3) = 0, 3
        assert_eq!(x.size(), vec![2, 4]);
        assert_eq!(Vec::<i64>::try_from(x.get(1)).unwrap(), vec![3, 4, 5, 6]);
        assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![4, 7]);
        assert!(v.encode("z").is_err());
        assert_eq!(v.encode_lossy("az"), vec![0, 0]);
    }
}
