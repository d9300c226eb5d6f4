//! The transformations of a [`Dataset`]: `map`, `batch`, `shuffle`, `prefetch`, `take`,
//! `skip`, `repeat`.

use super::dataset::{Dataset, ElementIter};
use crate::data_adapter::Batch;
use crate::error::{Error, Result};
use rand::{seq::SliceRandom, Rng, SeedableRng};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use tch::Tensor;

/// `f(x, y)` on one element, which must have targets.
fn map_xy<F>(f: &F, b: Batch) -> Result<Batch>
where
    F: Fn(Tensor, Tensor) -> Result<(Tensor, Tensor)>,
{
    let (x, y) = b.into_xy();
    let y = y.ok_or_else(|| {
        Error::InvalidData("map(|x, y| …) on a dataset without targets; use map_x".into())
    })?;
    let (x, y) = f(x, y)?;
    Ok(Batch::new(x, Some(y)))
}

impl Dataset {
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
            Ok(Box::new(up(pass)?.map(move |e| map_xy(&*f, e?))) as ElementIter)
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
            Some(e.and_then(|b| map_xy(&f, b)))
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
                let (x, y) = e?.into_xy();
                Ok(Batch::new(f(x)?, y))
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
}

fn stack(group: Vec<Batch>) -> Result<Batch> {
    let first = group[0].x().size();
    if let Some((i, b)) = group
        .iter()
        .enumerate()
        .find(|(_, b)| b.x().size() != first)
    {
        return Err(Error::InvalidData(format!(
            "batch: element {i} has shape {:?} but element 0 has {first:?}; resize to one size \
             with map before batch",
            b.x().size()
        )));
    }
    let has_y = group.iter().all(|b| b.y().is_some());
    let xs: Vec<&Tensor> = group.iter().map(Batch::x).collect();
    let x = Tensor::f_stack(&xs, 0)?;
    let y = if has_y {
        let ys: Vec<&Tensor> = group.iter().filter_map(Batch::y).collect();
        Some(Tensor::f_stack(&ys, 0)?)
    } else {
        None
    };
    Ok(Batch::new(x, y))
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
