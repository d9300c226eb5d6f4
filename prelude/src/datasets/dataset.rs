//! [`Dataset`]: a streaming input pipeline (Keras's `tf.data.Dataset`) with `map`, `batch`,
//! `shuffle`, `prefetch` on a background thread, `take`, and `for` iteration.

use crate::data_adapter::{Batch, BatchSource, Batches};
use crate::error::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tch::Tensor;

/// An iterator over a dataset's elements (or batches), movable to a worker thread.
pub type ElementIter = Box<dyn Iterator<Item = Result<Batch>> + Send>;

type Factory = Arc<dyn Fn(u64) -> Result<ElementIter> + Send + Sync>;

/// A tensor that pipeline stages share read-only across threads.
///
/// `tch::Tensor` is `Send` but not `Sync`. libtorch tensors may be read from several
/// threads at once (reference counts are atomic), and the pipeline only reads through this
/// wrapper (`shallow_clone`, `get`, `index_select`), so sharing it is sound.
pub(crate) struct SharedTensor(Tensor);

// SAFETY: see the type's documentation: only read-only libtorch operations go through it.
unsafe impl Sync for SharedTensor {}

impl SharedTensor {
    pub(crate) fn new(t: &Tensor) -> Self {
        Self(t.shallow_clone())
    }
    /// A new handle on the same storage.
    pub(crate) fn get(&self) -> Tensor {
        self.0.shallow_clone()
    }
}

/// A re-iterable stream of `(x, y)` elements, built lazily from tensors or from files.
///
/// Each pass (`for` loop, `fit` epoch) runs the pipeline again: files are re-read, `map`
/// re-applied, `shuffle` reshuffled (with `seed + pass`). Memory is bounded by the shuffle
/// buffer and the prefetch depth, not the dataset size.
///
/// Elements are [`Batch`]es: before [`batch`](Self::batch) one example (`x` without the
/// batch axis), after it a batch. `y` is absent for input-only datasets.
///
/// ```
/// use ferrokeras::prelude::*;
/// let x = Tensor::arange(10, (Kind::Float, Device::Cpu)).reshape([5, 2]);
/// let y = Tensor::from_slice(&[0i64, 1, 0, 1, 1]);
/// let ds = Dataset::from_tensor_slices(&x, &y)?
///     .map(|x, y| Ok((x / 10.0, y)))
///     .shuffle(5, 42)
///     .batch(2)
///     .prefetch(1);
/// assert_eq!(ds.len(), Some(3));
/// let mut seen = 0;
/// for batch in &ds {
///     let batch = batch?;
///     seen += batch.len();
/// }
/// assert_eq!(seen, 5);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    pub(super) make: Factory,
    pub(super) len: Option<usize>,
    pub(super) examples: Option<usize>,
    pub(super) batched: bool,
    pub(super) class_names: Vec<String>,
    passes: Arc<AtomicU64>,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len)
            .field("batched", &self.batched)
            .finish()
    }
}

impl crate::runtime::Render for Dataset {
    fn mime_bundle(&self) -> crate::runtime::MimeBundle {
        let len = self.len.map_or("unknown".to_string(), |l| l.to_string());
        let what = if self.batched { "batches" } else { "elements" };
        crate::runtime::MimeBundle::text(format!("<Dataset: {len} {what}>"))
    }
}

impl Dataset {
    /// A dataset from a function that starts one pass (it gets the pass number) and the
    /// number of elements when known. The building block of every other constructor.
    pub fn from_fn(
        len: Option<usize>,
        make: impl Fn(u64) -> Result<ElementIter> + Send + Sync + 'static,
    ) -> Dataset {
        Dataset {
            make: Arc::new(make),
            len,
            examples: len,
            batched: false,
            class_names: Vec::new(),
            passes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A dataset from a generator: `make` returns a fresh iterator of elements for each pass
    /// (e.g. one that reads files lazily).
    pub fn from_generator<I>(
        len: Option<usize>,
        make: impl Fn() -> I + Send + Sync + 'static,
    ) -> Dataset
    where
        I: Iterator<Item = Result<Batch>> + Send + 'static,
    {
        Dataset::from_fn(len, move |_| Ok(Box::new(make()) as ElementIter))
    }

    /// One element per row of `x` and `y` (`tf.data.Dataset.from_tensor_slices((x, y))`).
    pub fn from_tensor_slices(x: &Tensor, y: &Tensor) -> Result<Dataset> {
        Self::slices(x, Some(y))
    }

    /// One element per row of `x`, without targets.
    pub fn from_tensor_slices_x(x: &Tensor) -> Result<Dataset> {
        Self::slices(x, None)
    }

    fn slices(x: &Tensor, y: Option<&Tensor>) -> Result<Dataset> {
        let data = crate::data_adapter::TensorData::new(x, y)?;
        let n = data.len();
        let (x, y) = (SharedTensor::new(x), y.map(SharedTensor::new));
        Ok(Dataset::from_fn(Some(n), move |_| {
            let (x, y) = (x.get(), y.as_ref().map(SharedTensor::get));
            Ok(Box::new(
                (0..n as i64).map(move |i| Ok(Batch::new(x.get(i), y.as_ref().map(|y| y.get(i))))),
            ) as ElementIter)
        }))
    }

    /// A stage after this one: `len` elements from `make`, keeping what this dataset says
    /// about its examples, batching and class names; its pass count starts again at 0.
    pub(super) fn derive(
        &self,
        len: Option<usize>,
        make: impl Fn(u64) -> Result<ElementIter> + Send + Sync + 'static,
    ) -> Dataset {
        Dataset {
            examples: self.examples,
            batched: self.batched,
            class_names: self.class_names.clone(),
            ..Dataset::from_fn(len, make)
        }
    }

    /// Elements (or batches, once batched) per pass, when known (`len(ds)`).
    pub fn len(&self) -> Option<usize> {
        self.len
    }

    /// Whether the dataset is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len == Some(0)
    }

    /// Whether [`batch`](Self::batch) has been applied.
    pub fn is_batched(&self) -> bool {
        self.batched
    }

    /// The class names, for datasets read from folders (`ds.class_names`).
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }

    /// The same dataset with these class names.
    pub fn with_class_names(mut self, names: Vec<String>) -> Dataset {
        self.class_names = names;
        self
    }

    /// One pass over the dataset. Stops with [`Error::Interrupted`] when the user
    /// interrupts the cell.
    pub fn iter(&self) -> DatasetIter {
        let pass = self.passes.fetch_add(1, Ordering::Relaxed);
        match (self.make)(pass) {
            Ok(inner) => DatasetIter {
                inner: Some(inner),
                pending: None,
            },
            Err(e) => DatasetIter {
                inner: None,
                pending: Some(e),
            },
        }
    }

    /// Runs one pass and concatenates everything: `(x, y)` with the batch axis first
    /// (like `np.concatenate([y for x, y in ds])`).
    pub fn collect_tensors(&self) -> Result<(Tensor, Option<Tensor>)> {
        let src = if self.batched {
            self.clone()
        } else {
            self.batch(256)
        };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for b in src.iter() {
            let (x, y) = b?.into_xy();
            xs.push(x);
            if let Some(y) = y {
                ys.push(y);
            }
        }
        if xs.is_empty() {
            return Err(Error::InvalidData("the dataset is empty".into()));
        }
        let y = if ys.len() == xs.len() {
            Some(Tensor::f_cat(&ys, 0)?)
        } else {
            None
        };
        Ok((Tensor::f_cat(&xs, 0)?, y))
    }
}

/// One pass over a [`Dataset`]: yields `Result<Batch>`.
pub struct DatasetIter {
    inner: Option<ElementIter>,
    pending: Option<Error>,
}

impl Iterator for DatasetIter {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            self.inner = None;
            return Some(Err(e));
        }
        let inner = self.inner.as_mut()?;
        if crate::runtime::interrupted() {
            self.inner = None;
            return Some(Err(Error::Interrupted));
        }
        let next = inner.next();
        if matches!(next, Some(Err(_)) | None) {
            self.inner = None;
        }
        next
    }
}

impl IntoIterator for &Dataset {
    type Item = Result<Batch>;
    type IntoIter = DatasetIter;
    fn into_iter(self) -> DatasetIter {
        self.iter()
    }
}

impl IntoIterator for Dataset {
    type Item = Result<Batch>;
    type IntoIter = DatasetIter;
    fn into_iter(self) -> DatasetIter {
        self.iter()
    }
}

/// `fit`, `evaluate` and `predict` take a `Dataset` as they take tensors. A batched dataset
/// is used as it is (the `batch_size` argument is ignored, as in Keras); an unbatched one is
/// batched with `batch_size`. As in Keras, `fit` does not shuffle a dataset: use
/// [`Dataset::shuffle`].
impl BatchSource for Dataset {
    fn num_examples(&self) -> Option<usize> {
        self.examples
    }

    fn num_batches(&self, batch_size: usize) -> Option<usize> {
        if self.batched {
            self.len
        } else {
            self.len.map(|l| l.div_ceil(batch_size.max(1)))
        }
    }

    fn batches(&self, batch_size: usize, _shuffle: bool, _seed: u64) -> Result<Batches<'_>> {
        let ds = if self.batched {
            self.clone()
        } else {
            self.batch(batch_size)
        };
        Ok(Box::new(ds.iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    fn ds(n: i64) -> Dataset {
        let x = Tensor::arange(n, (Kind::Int64, Device::Cpu));
        Dataset::from_tensor_slices(&x, &(&x * 10)).unwrap()
    }

    fn xs(d: &Dataset) -> Vec<i64> {
        d.iter()
            .flat_map(|b| Vec::<i64>::try_from(b.unwrap().x().reshape([-1])).unwrap())
            .collect()
    }

    /// A map function that fails on the element whose `x` is `bad`.
    fn fail_at(bad: i64) -> impl Fn(Tensor, Tensor) -> Result<(Tensor, Tensor)> + Copy {
        move |x, y| {
            if x.int64_value(&[]) == bad {
                Err(Error::InvalidData(format!("element {bad}")))
            } else {
                Ok((x, y))
            }
        }
    }

    /// A pass over `d` yields `n` items, the last an error, and then stops.
    fn assert_stops_after_error(d: &Dataset, n: usize) {
        let items: Vec<_> = d.iter().collect();
        assert_eq!(items.len(), n);
        assert!(items[n - 1].is_err());
    }

    #[test]
    fn take_skip_batch_lengths() {
        let d = ds(7);
        assert_eq!(xs(&d.take(3)), vec![0, 1, 2]);
        assert_eq!(xs(&d.skip(5)), vec![5, 6]);
        let b = d.batch(3);
        assert_eq!(b.len(), Some(3));
        let sizes: Vec<i64> = b.iter().map(|b| b.unwrap().len()).collect();
        assert_eq!(sizes, vec![3, 3, 1]);
        assert_eq!(b.take(2).len(), Some(2));
        assert_eq!(b.num_examples(), Some(7));
    }

    #[test]
    fn buffered_shuffle_is_a_seeded_permutation_reshuffled_each_pass() {
        let d = ds(20).shuffle(4, 1);
        let a = xs(&d);
        let mut s = a.clone();
        s.sort();
        assert_eq!(s, (0..20).collect::<Vec<_>>());
        assert_ne!(a, (0..20).collect::<Vec<_>>());
        let b = xs(&d);
        assert_ne!(a, b, "second pass reshuffles");
        assert_eq!(a, xs(&ds(20).shuffle(4, 1)), "same seed, same first pass");
    }

    #[test]
    fn parallel_map_keeps_order_and_errors() {
        let slow = |x: Tensor, y: Tensor| {
            // uneven work so threads finish out of order
            std::thread::sleep(std::time::Duration::from_micros(
                (x.int64_value(&[]) % 3 * 300) as u64,
            ));
            Ok((x * 2, y))
        };
        let d = ds(40);
        let par = d.map_parallel(slow, 4);
        let seq = d.map(slow);
        assert_eq!(xs(&par), xs(&seq));
        assert_eq!(xs(&par), (0..40).map(|i| 2 * i).collect::<Vec<_>>());
        assert_eq!(par.len(), Some(40));
        assert_stops_after_error(&d.map_parallel(fail_at(5), 3), 6);
    }

    #[test]
    fn unequal_shapes_cannot_batch() {
        let d = Dataset::from_generator(Some(2), || {
            (1..3i64).map(|n| {
                Ok(Batch::new(
                    Tensor::zeros([n], (Kind::Float, Device::Cpu)),
                    None,
                ))
            })
        });
        let err = d.batch(2).iter().next().unwrap().unwrap_err().to_string();
        assert!(
            err.contains("element 1 has shape [2] but element 0 has [1]"),
            "{err}"
        );
    }

    #[test]
    fn map_errors_stop_the_pass() {
        assert_stops_after_error(&ds(5).map(fail_at(2)), 3);
    }
}
