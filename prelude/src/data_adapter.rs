//! What `fit`, `evaluate` and `predict` iterate over: batches of `(x, y)`.
//!
//! Both in-memory tensors ([`TensorData`]) and streaming pipelines (`datasets::Dataset`)
//! implement [`BatchSource`], so the training loop has one code path for both.

use crate::error::{Error, Result};
use tch::{Device, Kind, Tensor};

/// One batch: inputs and, for training and evaluation, targets.
#[derive(Debug)]
pub struct Batch {
    /// Inputs, batch first.
    pub x: Tensor,
    /// Targets, batch first (absent for prediction-only data).
    pub y: Option<Tensor>,
}

/// An iterator over one epoch of batches.
pub type Batches<'a> = Box<dyn Iterator<Item = Result<Batch>> + 'a>;

/// A source of batches for training, evaluation and prediction.
pub trait BatchSource {
    /// Examples per epoch, when known.
    fn num_examples(&self) -> Option<usize>;
    /// Batches per epoch for `batch_size` (sources that are already batched ignore it).
    fn num_batches(&self, batch_size: usize) -> Option<usize>;
    /// One epoch of batches. `shuffle` with `seed` gives a repeatable order.
    fn batches(&self, batch_size: usize, shuffle: bool, seed: u64) -> Result<Batches<'_>>;
}

/// In-memory `(x, y)` tensors, batched along the first axis.
///
/// ```
/// use ferrokeras::data_adapter::{BatchSource, TensorData};
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(10, (Kind::Float, Device::Cpu)).reshape([5, 2]);
/// let y = Tensor::from_slice(&[0i64, 1, 0, 1, 1]);
/// let data = TensorData::new(&x, Some(&y)).unwrap();
/// assert_eq!(data.num_batches(2), Some(3));
/// let sizes: Vec<i64> = data.batches(2, false, 0).unwrap().map(|b| b.unwrap().x.size()[0]).collect();
/// assert_eq!(sizes, vec![2, 2, 1]);
/// ```
#[derive(Debug)]
pub struct TensorData {
    x: Tensor,
    y: Option<Tensor>,
}

impl TensorData {
    /// Checks that `x` and `y` hold the same number of examples and that there is at least one.
    pub fn new(x: &Tensor, y: Option<&Tensor>) -> Result<Self> {
        let n = x.size().first().copied().unwrap_or(0);
        if x.dim() == 0 || n == 0 {
            return Err(Error::InvalidData(format!(
                "x is empty (shape {:?}); need at least one example",
                x.size()
            )));
        }
        if let Some(y) = y {
            let m = y.size().first().copied().unwrap_or(0);
            if m != n {
                return Err(Error::InvalidData(format!(
                    "x and y have different numbers of examples: x has {n}, y has {m}"
                )));
            }
        }
        Ok(Self {
            x: x.shallow_clone(),
            y: y.map(Tensor::shallow_clone),
        })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.x.size()[0] as usize
    }

    /// Never true: construction rejects empty data.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Splits off the last `fraction` of the examples (Keras's `validation_split`: taken from
    /// the end, before any shuffling). Returns `(train, validation)`.
    pub fn split_tail(&self, fraction: f64) -> Result<(TensorData, TensorData)> {
        if !(0.0..1.0).contains(&fraction) {
            return Err(Error::InvalidArgument(format!(
                "validation_split must be in [0, 1), got {fraction}"
            )));
        }
        let n = self.len() as i64;
        let n_val = ((n as f64) * fraction).floor() as i64;
        let n_train = n - n_val;
        if n_val == 0 || n_train == 0 {
            return Err(Error::InvalidArgument(format!(
                "validation_split {fraction} of {n} examples leaves an empty split"
            )));
        }
        let part = |start: i64, len: i64| TensorData {
            x: self.x.narrow(0, start, len),
            y: self.y.as_ref().map(|y| y.narrow(0, start, len)),
        };
        Ok((part(0, n_train), part(n_train, n_val)))
    }

    /// The inputs.
    pub fn x(&self) -> &Tensor {
        &self.x
    }

    /// The targets.
    pub fn y(&self) -> Option<&Tensor> {
        self.y.as_ref()
    }
}

impl BatchSource for TensorData {
    fn num_examples(&self) -> Option<usize> {
        Some(self.len())
    }

    fn num_batches(&self, batch_size: usize) -> Option<usize> {
        Some(self.len().div_ceil(batch_size.max(1)))
    }

    fn batches(&self, batch_size: usize, shuffle: bool, seed: u64) -> Result<Batches<'_>> {
        let n = self.len() as i64;
        let batch_size = batch_size.max(1) as i64;
        let order = if shuffle {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
            let mut idx: Vec<i64> = (0..n).collect();
            rand::seq::SliceRandom::shuffle(idx.as_mut_slice(), &mut rng);
            Some(Tensor::from_slice(&idx))
        } else {
            None
        };
        let iter = (0..n).step_by(batch_size as usize).map(move |start| {
            let len = batch_size.min(n - start);
            let take = |t: &Tensor| match &order {
                Some(order) => {
                    let idx = order.narrow(0, start, len).to_device(t.device());
                    t.index_select(0, &idx)
                }
                None => t.narrow(0, start, len),
            };
            Ok(Batch {
                x: take(&self.x),
                y: self.y.as_ref().map(take),
            })
        });
        Ok(Box::new(iter))
    }
}

/// The device new models and data use: the first CUDA GPU when libtorch sees one, else CPU.
pub fn default_device() -> Device {
    Device::cuda_if_available()
}

/// `true` when the tensor holds integers (class labels) rather than floats.
pub fn is_integer(t: &Tensor) -> bool {
    matches!(
        t.kind(),
        Kind::Uint8 | Kind::Int8 | Kind::Int16 | Kind::Int | Kind::Int64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_lengths_are_rejected() {
        let x = Tensor::zeros([4, 2], (Kind::Float, Device::Cpu));
        let y = Tensor::zeros([3], (Kind::Int64, Device::Cpu));
        let err = TensorData::new(&x, Some(&y)).unwrap_err().to_string();
        assert!(err.contains("x has 4, y has 3"), "{err}");
    }

    #[test]
    fn validation_split_takes_the_tail() {
        let x = Tensor::arange(10, (Kind::Float, Device::Cpu)).reshape([10, 1]);
        let data = TensorData::new(&x, None).unwrap();
        let (train, val) = data.split_tail(0.2).unwrap();
        assert_eq!(train.len(), 8);
        assert_eq!(val.x().double_value(&[0, 0]), 8.0);
    }

    #[test]
    fn shuffle_is_repeatable_and_a_permutation() {
        let x = Tensor::arange(7, (Kind::Int64, Device::Cpu));
        let data = TensorData::new(&x, None).unwrap();
        let epoch = |seed| -> Vec<i64> {
            data.batches(3, true, seed)
                .unwrap()
                .flat_map(|b| Vec::<i64>::try_from(b.unwrap().x).unwrap())
                .collect()
        };
        let a = epoch(1);
        assert_eq!(a, epoch(1));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..7).collect::<Vec<_>>());
    }
}
