//! What `fit`, `evaluate` and `predict` iterate over: batches of `(x, y)`.
//!
//! Both in-memory tensors ([`TensorData`]) and streaming pipelines (`datasets::Dataset`)
//! implement [`BatchSource`], so the training loop has one code path for both.

use crate::error::{Error, Result};
use tch::{Device, Kind, Tensor};

/// One batch: inputs and, for training and evaluation, targets — one tensor per model input
/// and per model output (one each for most models).
#[derive(Debug)]
pub struct Batch {
    /// Inputs, batch first, in the model's input order.
    pub inputs: Vec<Tensor>,
    /// Targets, batch first, in the model's output order (empty for prediction-only data).
    pub targets: Vec<Tensor>,
}

impl Batch {
    /// A batch of one input `x` and, optionally, one target `y`.
    pub fn new(x: Tensor, y: Option<Tensor>) -> Batch {
        Batch {
            inputs: vec![x],
            targets: y.into_iter().collect(),
        }
    }

    /// The (first) input.
    pub fn x(&self) -> &Tensor {
        &self.inputs[0]
    }

    /// The (first) target, if any.
    pub fn y(&self) -> Option<&Tensor> {
        self.targets.first()
    }

    /// The (first) input and target.
    pub fn into_xy(self) -> (Tensor, Option<Tensor>) {
        let y = self.targets.into_iter().next();
        let x = self
            .inputs
            .into_iter()
            .next()
            .expect("a batch has an input");
        (x, y)
    }

    /// The number of examples.
    pub fn len(&self) -> i64 {
        self.inputs[0].size()[0]
    }

    /// Never true for a batch a source yields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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

/// In-memory `(x, y)` tensors, batched along the first axis (several of each for a model of
/// several inputs or outputs).
///
/// ```
/// use ferrokeras::data_adapter::{BatchSource, TensorData};
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(10, (Kind::Float, Device::Cpu)).reshape([5, 2]);
/// let y = Tensor::from_slice(&[0i64, 1, 0, 1, 1]);
/// let data = TensorData::new(&x, Some(&y)).unwrap();
/// assert_eq!(data.num_batches(2), Some(3));
/// let sizes: Vec<i64> = data.batches(2, false, 0).unwrap().map(|b| b.unwrap().len()).collect();
/// assert_eq!(sizes, vec![2, 2, 1]);
/// ```
#[derive(Debug)]
pub struct TensorData {
    x: Vec<Tensor>,
    y: Vec<Tensor>,
}

impl TensorData {
    /// Checks that `x` and `y` hold the same number of examples and that there is at least one.
    pub fn new(x: &Tensor, y: Option<&Tensor>) -> Result<Self> {
        Self::from_lists(
            vec![x.shallow_clone()],
            y.into_iter().map(Tensor::shallow_clone).collect(),
        )
    }

    /// Several inputs and targets; every tensor must hold the same number of examples.
    pub fn from_lists(x: Vec<Tensor>, y: Vec<Tensor>) -> Result<Self> {
        let Some(first) = x.first() else {
            return Err(Error::InvalidData("no input data given".into()));
        };
        let n = first.size().first().copied().unwrap_or(0);
        if first.dim() == 0 || n == 0 {
            return Err(Error::InvalidData(format!(
                "x is empty (shape {:?}); need at least one example",
                first.size()
            )));
        }
        for (what, t) in x.iter().map(|t| ("x", t)).chain(y.iter().map(|t| ("y", t))) {
            let m = t.size().first().copied().unwrap_or(0);
            if m != n {
                return Err(Error::InvalidData(format!(
                    "x and y have different numbers of examples: x has {n}, {what} has {m}"
                )));
            }
        }
        Ok(Self { x, y })
    }

    /// The number of examples.
    pub fn len(&self) -> usize {
        self.x[0].size()[0] as usize
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
        let part = |start: i64, len: i64| {
            let cut = |ts: &[Tensor]| ts.iter().map(|t| t.narrow(0, start, len)).collect();
            TensorData {
                x: cut(&self.x),
                y: cut(&self.y),
            }
        };
        Ok((part(0, n_train), part(n_train, n_val)))
    }

    /// The same data with one more target tensor, batched along with the others (how `fit`
    /// keeps each example's `sample_weight` with it through shuffling and splitting).
    pub(crate) fn with_target(mut self, t: Tensor) -> Result<TensorData> {
        self.y.push(t);
        Self::from_lists(self.x, self.y)
    }

    /// The (first) input.
    pub fn x(&self) -> &Tensor {
        &self.x[0]
    }

    /// The (first) target.
    pub fn y(&self) -> Option<&Tensor> {
        self.y.first()
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
                inputs: self.x.iter().map(take).collect(),
                targets: self.y.iter().map(take).collect(),
            })
        });
        Ok(Box::new(iter))
    }
}

/// Data for a model's inputs or targets, as `fit`, `evaluate` and `predict` take it: one
/// tensor (`&x`), one per input or output in order (`[&title, &body]`), or by name
/// (`[("title", &title), ("body", &body)]`, the names of the `Input`s or output layers).
pub enum Tensors<'a> {
    /// In the model's order.
    Positional(Vec<&'a Tensor>),
    /// By input or output name.
    Named(Vec<(String, &'a Tensor)>),
}

impl<'a> From<&'a Tensor> for Tensors<'a> {
    fn from(t: &'a Tensor) -> Self {
        Tensors::Positional(vec![t])
    }
}
impl<'a, const N: usize> From<[&'a Tensor; N]> for Tensors<'a> {
    fn from(ts: [&'a Tensor; N]) -> Self {
        Tensors::Positional(ts.to_vec())
    }
}
impl<'a> From<Vec<&'a Tensor>> for Tensors<'a> {
    fn from(ts: Vec<&'a Tensor>) -> Self {
        Tensors::Positional(ts)
    }
}
impl<'a, const N: usize> From<[(&str, &'a Tensor); N]> for Tensors<'a> {
    fn from(ts: [(&str, &'a Tensor); N]) -> Self {
        Tensors::Named(ts.iter().map(|(k, t)| (k.to_string(), *t)).collect())
    }
}
impl<'a> From<Vec<(&str, &'a Tensor)>> for Tensors<'a> {
    fn from(ts: Vec<(&str, &'a Tensor)>) -> Self {
        Tensors::Named(ts.into_iter().map(|(k, t)| (k.to_string(), t)).collect())
    }
}
impl<'a> From<&'a std::collections::HashMap<String, Tensor>> for Tensors<'a> {
    fn from(ts: &'a std::collections::HashMap<String, Tensor>) -> Self {
        Tensors::Named(ts.iter().map(|(k, t)| (k.clone(), t)).collect())
    }
}

impl Tensors<'_> {
    /// The tensors in the order of `names` (the model's inputs or outputs, called `what`
    /// in errors).
    pub fn in_order(&self, names: &[String], what: &str) -> Result<Vec<Tensor>> {
        match self {
            Tensors::Positional(ts) => {
                if ts.len() != names.len() {
                    return Err(Error::InvalidData(format!(
                        "the model has {} {what}s ({}), got {} tensors",
                        names.len(),
                        names.join(", "),
                        ts.len()
                    )));
                }
                Ok(ts.iter().map(|t| t.shallow_clone()).collect())
            }
            Tensors::Named(ts) => {
                if let Some((k, _)) = ts.iter().find(|(k, _)| !names.contains(k)) {
                    return Err(Error::InvalidData(format!(
                        "the model has no {what} named '{k}'; its {what}s are: {}",
                        names.join(", ")
                    )));
                }
                names
                    .iter()
                    .map(|n| {
                        ts.iter()
                            .find(|(k, _)| k == n)
                            .map(|(_, t)| t.shallow_clone())
                            .ok_or_else(|| {
                                Error::InvalidData(format!("no data given for the {what} '{n}'"))
                            })
                    })
                    .collect()
            }
        }
    }

    /// The example count of the first tensor.
    pub(crate) fn first_shape(&self) -> Option<Vec<i64>> {
        match self {
            Tensors::Positional(ts) => ts.first().map(|t| t.size()),
            Tensors::Named(ts) => ts.first().map(|(_, t)| t.size()),
        }
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
                .flat_map(|b| Vec::<i64>::try_from(b.unwrap().into_xy().0).unwrap())
                .collect()
        };
        let a = epoch(1);
        assert_eq!(a, epoch(1));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..7).collect::<Vec<_>>());
    }
}
