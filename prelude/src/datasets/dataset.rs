//! [`Dataset`]: a streaming input pipeline (Keras's `tf.data.Dataset`) with `map`, `batch`,
//! `shuffle`, `prefetch` on a background thread, `take`, and `for` iteration.

use crate::data_adapter::{Batch, BatchSource, Batches};
use crate::error::{Error, Result};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
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
///     seen += batch.x.size()[0];
/// }
/// assert_eq!(seen, 5);
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Clone)]
pub struct Dataset {
    make: Factory,
    len: Option<usize>,
    examples: Option<usize>,
    batched: bool,
    class_names: Vec<String>,
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
            Ok(Box::new((0..n as i64).map(move |i| {
                Ok(Batch {
                    x: x.get(i),
                    y: y.as_ref().map(|y| y.get(i)),
                })
            })) as ElementIter)
        }))
    }

    fn derive(
        &self,
        len: Option<usize>,
        make: impl Fn(u64) -> Result<ElementIter> + Send + Sync + 'static,
    ) -> Dataset {
        Dataset {
            make: Arc::new(make),
            len,
            examples: self.examples,
            batched: self.batched,
            class_names: self.class_names.clone(),
            passes: Arc::new(AtomicU64::new(0)),
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

    /// Applies `f(x, y)` to every element (`ds.map(preprocess)`); runs lazily, on the
    /// prefetch thread when a [`prefetch`](Self::prefetch) follows.
    pub fn map<F>(&self, f: F) -> Dataset
    where
        F: Fn(Tensor, Tensor) -> Result<(Tensor, Tensor)> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let up = self.make.clone();
        self.derive(self.len, move |pass| {
            let f = f.clone();
            Ok(Box::new(up(pass)?.map(move |e| {
                let b = e?;
                let y = b.y.ok_or_else(|| {
                    Error::InvalidData(
                        "map(|x, y| …) on a dataset without targets; use map_x".into(),
                    )
                })?;
                let (x, y) = f(b.x, y)?;
                Ok(Batch { x, y: Some(y) })
            })) as ElementIter)
        })
    }

    /// [`map`](Self::map) on `num_parallel_calls` threads (`ds.map(f,
    /// num_parallel_calls=…)`), keeping the element order. Use it for expensive per-element
    /// work such as decoding and resizing images.
    pub fn map_parallel<F>(&self, f: F, num_parallel_calls: usize) -> Dataset
    where
        F: Fn(Tensor, Tensor) -> Result<(Tensor, Tensor)> + Send + Sync + 'static,
    {
        let f = Arc::new(move |e: Result<Batch>| -> Option<Result<Batch>> {
            Some(e.and_then(|b| {
                let y = b.y.ok_or_else(|| {
                    Error::InvalidData(
                        "map(|x, y| …) on a dataset without targets; use map_x".into(),
                    )
                })?;
                let (x, y) = f(b.x, y)?;
                Ok(Batch { x, y: Some(y) })
            }))
        });
        let up = self.make.clone();
        self.derive(self.len, move |pass| {
            Ok(super::parallel_ordered(
                up(pass)?,
                f.clone(),
                num_parallel_calls,
            ))
        })
    }

    /// Applies `f` to every element's `x`, keeping `y`.
    pub fn map_x<F>(&self, f: F) -> Dataset
    where
        F: Fn(Tensor) -> Result<Tensor> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let up = self.make.clone();
        self.derive(self.len, move |pass| {
            let f = f.clone();
            Ok(Box::new(up(pass)?.map(move |e| {
                let b = e?;
                Ok(Batch { x: f(b.x)?, y: b.y })
            })) as ElementIter)
        })
    }

    /// Groups consecutive elements into batches of `batch_size` (the last may be smaller),
    /// stacking along a new first axis. Elements must have equal shapes: resize first.
    pub fn batch(&self, batch_size: usize) -> Dataset {
        let bs = batch_size.max(1);
        let up = self.make.clone();
        let mut d = self.derive(self.len.map(|l| l.div_ceil(bs)), move |pass| {
            let mut it = up(pass)?;
            Ok(Box::new(std::iter::from_fn(move || {
                let mut group = Vec::with_capacity(bs);
                for e in it.by_ref() {
                    match e {
                        Ok(b) => group.push(b),
                        Err(err) => return Some(Err(err)),
                    }
                    if group.len() == bs {
                        break;
                    }
                }
                (!group.is_empty()).then(|| stack(group))
            })) as ElementIter)
        });
        d.batched = true;
        d
    }

    /// Shuffles with a buffer of `buffer_size` elements, reshuffling on each pass (pass `k`
    /// uses seed `seed + k`). With a buffer at least the dataset's length this is a uniform
    /// permutation, the same one [`crate::data_adapter::TensorData`] uses for the seed.
    pub fn shuffle(&self, buffer_size: usize, seed: u64) -> Dataset {
        let buffer = buffer_size.max(1);
        let up = self.make.clone();
        let full = self.len.is_some_and(|l| buffer >= l);
        self.derive(self.len, move |pass| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed.wrapping_add(pass));
            let mut it = up(pass)?;
            if full {
                let items: Vec<Result<Batch>> = it.collect();
                let mut idx: Vec<usize> = (0..items.len()).collect();
                idx.shuffle(&mut rng);
                let mut slots: Vec<Option<Result<Batch>>> = items.into_iter().map(Some).collect();
                return Ok(
                    Box::new(idx.into_iter().filter_map(move |i| slots[i].take())) as ElementIter,
                );
            }
            let mut buf: Vec<Result<Batch>> = Vec::with_capacity(buffer);
            Ok(Box::new(std::iter::from_fn(move || {
                while buf.len() < buffer {
                    match it.next() {
                        Some(e) => buf.push(e),
                        None => break,
                    }
                }
                if buf.is_empty() {
                    return None;
                }
                let i = rng.random_range(0..buf.len());
                Some(buf.swap_remove(i))
            })) as ElementIter)
        })
    }

    /// Produces up to `depth` elements ahead on a background thread, so the model is not
    /// starved while files are read and `map` runs. At most `depth` produced elements wait
    /// unconsumed at any time; the thread stops when the pass ends or is dropped.
    pub fn prefetch(&self, depth: usize) -> Dataset {
        let depth = depth.max(1);
        let up = self.make.clone();
        self.derive(self.len, move |pass| {
            let it = up(pass)?;
            // A channel of capacity depth - 1 plus the one element the worker holds while
            // blocked in `send` makes `depth` produced-but-unconsumed elements at most.
            let (tx, rx) = sync_channel::<Result<Batch>>(depth - 1);
            std::thread::Builder::new()
                .name("ferrokeras-prefetch".into())
                .spawn(move || {
                    for e in it {
                        if tx.send(e).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::io("prefetch thread", e))?;
            Ok(Box::new(Prefetched { rx }) as ElementIter)
        })
    }

    /// The same stream, marked as already batched (for sources that produce batches, such
    /// as [`crate::preprocessing::ImageDataGenerator::flow`]).
    pub fn batched_as_is(mut self) -> Dataset {
        self.batched = true;
        self.examples = None;
        self
    }

    /// Repeats the dataset `count` times, or endlessly with `None` (`ds.repeat()`); each
    /// repetition is a new pass (reshuffled, re-augmented).
    pub fn repeat(&self, count: Option<usize>) -> Dataset {
        let up = self.make.clone();
        let len = match count {
            Some(c) => self.len.map(|l| l * c),
            None => None,
        };
        let mut d = self.derive(len, move |pass| {
            let up = up.clone();
            let mut rep = 0usize;
            let mut current: Option<ElementIter> = None;
            Ok(Box::new(std::iter::from_fn(move || loop {
                if let Some(it) = current.as_mut() {
                    match it.next() {
                        Some(e) => return Some(e),
                        None => current = None,
                    }
                }
                if count.is_some_and(|c| rep >= c) {
                    return None;
                }
                let inner_pass = pass.wrapping_mul(1_000_003).wrapping_add(rep as u64);
                rep += 1;
                match up(inner_pass) {
                    Ok(it) => current = Some(it),
                    Err(e) => return Some(Err(e)),
                }
            })) as ElementIter)
        });
        d.examples = match count {
            Some(c) => self.examples.map(|e| e * c),
            None => None,
        };
        d
    }

    /// Only the first `n` elements (or batches).
    pub fn take(&self, n: usize) -> Dataset {
        let up = self.make.clone();
        let mut d = self.derive(self.len.map(|l| l.min(n)), move |pass| {
            Ok(Box::new(up(pass)?.take(n)) as ElementIter)
        });
        if self.batched && self.len.is_some_and(|l| n < l) {
            d.examples = None;
        } else if !self.batched {
            d.examples = d.len;
        }
        d
    }

    /// All but the first `n` elements (or batches).
    pub fn skip(&self, n: usize) -> Dataset {
        let up = self.make.clone();
        let mut d = self.derive(self.len.map(|l| l.saturating_sub(n)), move |pass| {
            Ok(Box::new(up(pass)?.skip(n)) as ElementIter)
        });
        d.examples = if self.batched { None } else { d.len };
        d
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
            let b = b?;
            xs.push(b.x);
            if let Some(y) = b.y {
                ys.push(y);
            }
        }
        if xs.is_empty() {
            return Err(Error::InvalidData("the dataset is empty".into()));
        }
        let y = (ys.len() == xs.len()).then(|| Tensor::cat(&ys, 0));
        Ok((Tensor::cat(&xs, 0), y))
    }
}

fn stack(group: Vec<Batch>) -> Result<Batch> {
    let first = group[0].x.size();
    if let Some((i, b)) = group.iter().enumerate().find(|(_, b)| b.x.size() != first) {
        return Err(Error::InvalidData(format!(
            "batch: element {i} has shape {:?} but element 0 has {first:?}; resize to one size \
             with map before batch",
            b.x.size()
        )));
    }
    let has_y = group.iter().all(|b| b.y.is_some());
    let xs: Vec<&Tensor> = group.iter().map(|b| &b.x).collect();
    let x = Tensor::f_stack(&xs, 0)?;
    let y = if has_y {
        let ys: Vec<&Tensor> = group.iter().filter_map(|b| b.y.as_ref()).collect();
        Some(Tensor::f_stack(&ys, 0)?)
    } else {
        None
    };
    Ok(Batch { x, y })
}

struct Prefetched {
    rx: Receiver<Result<Batch>>,
}

impl Iterator for Prefetched {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv().ok()
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
            .flat_map(|b| Vec::<i64>::try_from(b.unwrap().x.reshape([-1])).unwrap())
            .collect()
    }

    #[test]
    fn take_skip_batch_lengths() {
        let d = ds(7);
        assert_eq!(xs(&d.take(3)), vec![0, 1, 2]);
        assert_eq!(xs(&d.skip(5)), vec![5, 6]);
        let b = d.batch(3);
        assert_eq!(b.len(), Some(3));
        let sizes: Vec<i64> = b.iter().map(|b| b.unwrap().x.size()[0]).collect();
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
        let failing = d.map_parallel(
            |x, y| {
                if x.int64_value(&[]) == 5 {
                    Err(Error::InvalidData("five".into()))
                } else {
                    Ok((x, y))
                }
            },
            3,
        );
        let items: Vec<_> = failing.iter().collect();
        assert_eq!(items.len(), 6);
        assert!(items[5].is_err());
    }

    #[test]
    fn unequal_shapes_cannot_batch() {
        let d = Dataset::from_generator(Some(2), || {
            (1..3i64).map(|n| {
                Ok(Batch {
                    x: Tensor::zeros([n], (Kind::Float, Device::Cpu)),
                    y: None,
                })
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
        let d = ds(5).map(|x, y| {
            if x.int64_value(&[]) == 2 {
                Err(Error::InvalidData("bad".into()))
            } else {
                Ok((x, y))
            }
        });
        let items: Vec<_> = d.iter().collect();
        assert_eq!(items.len(), 3);
        assert!(items[2].is_err());
    }
}
