//! scikit-learn's `LabelEncoder`: text labels to class indices and back.

use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// Encodes labels as `0..n_classes` in sorted order of the distinct labels.
///
/// ```
/// use ferrokeras::prelude::*;
/// let mut enc = LabelEncoder::new();
/// let y = enc.fit_transform(&["unacc", "good", "unacc", "acc"])?;
/// assert_eq!(enc.classes_, vec!["acc", "good", "unacc"]);
/// assert_eq!(Vec::<i64>::try_from(&y).unwrap(), vec![2, 1, 2, 0]);
/// assert_eq!(enc.inverse_transform(&y)?, vec!["unacc", "good", "unacc", "acc"]);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelEncoder {
    /// The classes, sorted; class `i` is encoded as `i`.
    pub classes_: Vec<String>,
}

impl LabelEncoder {
    /// An encoder not yet fitted.
    pub fn new() -> Self {
        Self::default()
    }
    /// Learns the sorted distinct labels.
    pub fn fit<S: AsRef<str>>(&mut self, labels: &[S]) -> &mut Self {
        let mut c: Vec<String> = labels.iter().map(|s| s.as_ref().to_string()).collect();
        c.sort();
        c.dedup();
        self.classes_ = c;
        self
    }
    /// Class indices `(N,)` `Kind::Int64`; an unseen label is an error naming it.
    pub fn transform<S: AsRef<str>>(&self, labels: &[S]) -> Result<Tensor> {
        let idx = labels
            .iter()
            .map(|s| {
                self.classes_
                    .binary_search_by(|c| c.as_str().cmp(s.as_ref()))
                    .map(|i| i as i64)
                    .map_err(|_| {
                        Error::InvalidArgument(format!(
                            "LabelEncoder: unseen label '{}'; known classes are: {}",
                            s.as_ref(),
                            self.classes_.join(", ")
                        ))
                    })
            })
            .collect::<Result<Vec<i64>>>()?;
        Ok(Tensor::from_slice(&idx))
    }
    /// [`fit`](Self::fit) then [`transform`](Self::transform).
    pub fn fit_transform<S: AsRef<str>>(&mut self, labels: &[S]) -> Result<Tensor> {
        self.fit(labels);
        self.transform(labels)
    }
    /// Class names for class indices (any integer tensor).
    pub fn inverse_transform(&self, y: &Tensor) -> Result<Vec<String>> {
        let v = Vec::<i64>::try_from(y.to_kind(Kind::Int64).reshape([-1]))?;
        v.into_iter()
            .map(|i| {
                self.classes_
                    .get(i as usize)
                    .filter(|_| i >= 0)
                    .cloned()
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "LabelEncoder: index {i} is out of range for {} classes",
                            self.classes_.len()
                        ))
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unseen_label_is_an_error() {
        let mut e = LabelEncoder::new();
        e.fit(&["b", "a"]);
        let err = e.transform(&["c"]).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid argument: LabelEncoder: unseen label 'c'; known classes are: a, b"
        );
        assert!(e.inverse_transform(&Tensor::from_slice(&[2i64])).is_err());
    }
}
