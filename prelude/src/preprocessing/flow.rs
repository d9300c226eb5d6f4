//! `ImageDataGenerator::flow`: augmented batches of in-memory images, with Keras's `flow`
//! arguments by name ([`Flow`]).

use super::augment::ImageDataGenerator;
use crate::data_adapter::{Batch, TensorData};
use crate::datasets::{Dataset, ElementIter, SharedTensor};
use crate::error::{Error, Result};
use rand::{seq::SliceRandom, SeedableRng};
use tch::Tensor;

/// `flow`'s options, Keras's keyword arguments with Keras's defaults:
/// `Flow { batch_size: 64, seed: Some(0), ..Default::default() }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flow {
    /// Images per batch (default 32).
    pub batch_size: usize,
    /// A new order of the images on every pass (default `true`).
    pub shuffle: bool,
    /// The seed of the order and the augmentation, for the same batches on every run
    /// (default `None`: the next seed of `set_random_seed`'s sequence).
    pub seed: Option<u64>,
}

impl Default for Flow {
    fn default() -> Self {
        Flow {
            batch_size: 32,
            shuffle: true,
            seed: None,
        }
    }
}

impl ImageDataGenerator {
    /// Augmented batches of `x` (and `y`), as Keras's `datagen.flow(x, y, batch_size=…)`:
    /// one pass is `ceil(N / batch_size)` batches, shuffled (when `shuffle`) and
    /// re-augmented on every pass; use [`Dataset::repeat`] for Keras's endless stream. The
    /// result trains as it is: `model.fit(&datagen.flow(&x, Some(&y), Flow::default())?, None, …)`.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let datagen = ImageDataGenerator { horizontal_flip: true, ..Default::default() };
    /// let img = Tensor::rand([10, 8, 8, 3], (Kind::Float, Device::Cpu));
    /// let batches = datagen.flow(&img, None, Flow { batch_size: 4, seed: Some(1), ..Default::default() })?;
    /// assert_eq!(batches.len(), Some(3)); // 4 + 4 + 2 images
    /// # Ok(())
    /// # }
    /// ```
    pub fn flow(&self, x: &Tensor, y: Option<&Tensor>, options: Flow) -> Result<Dataset> {
        if options.batch_size == 0 {
            return Err(Error::InvalidArgument(
                "flow's batch_size must be at least 1".into(),
            ));
        }
        let n = TensorData::new(x, y)?.len();
        let Flow {
            batch_size: bs,
            shuffle,
            seed,
        } = options;
        let seed = seed.unwrap_or_else(crate::backend::next_seed);
        let gen = self.clone();
        let (x, y) = (SharedTensor::new(x), y.map(SharedTensor::new));
        let ds = Dataset::from_fn(Some(n.div_ceil(bs)), move |pass| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed.wrapping_add(pass));
            let mut order: Vec<i64> = (0..n as i64).collect();
            if shuffle {
                order.shuffle(&mut rng);
            }
            let (x, y, gen) = (x.get(), y.as_ref().map(SharedTensor::get), gen.clone());
            let mut start = 0usize;
            Ok(Box::new(std::iter::from_fn(move || {
                if start >= n {
                    return None;
                }
                let idx = Tensor::from_slice(&order[start..(start + bs).min(n)]);
                start += bs;
                let xb = x.index_select(0, &idx.to_device(x.device()));
                let yb = y
                    .as_ref()
                    .map(|y| y.index_select(0, &idx.to_device(y.device())));
                Some(
                    gen.random_transform_with(&xb, &mut rng)
                        .map(|xb| Batch::new(xb, yb)),
                )
            })) as ElementIter)
        });
        Ok(ds.batched_as_is())
    }
}
