//! The batches of each epoch of `fit`, as Keras's `EpochIterator` hands them out: one pass
//! over the data per epoch; with `steps_per_epoch`, at most that many batches per epoch,
//! taken in turn from one pass that later epochs continue, a new (reshuffled) pass starting
//! when one is used up.

use crate::data_adapter::{Batch, BatchSource, Batches};
use crate::error::Result;

/// Batches per epoch of `source` when known (for the progress bar): a pass, at most
/// `steps_per_epoch`.
pub(crate) fn epoch_steps(
    source: &dyn BatchSource,
    batch_size: usize,
    steps_per_epoch: Option<usize>,
) -> Option<usize> {
    match (steps_per_epoch, source.num_batches(batch_size)) {
        (Some(s), Some(n)) => Some(s.min(n)),
        (cap, n) => cap.or(n),
    }
}

/// Hands out the batches of one epoch after another.
pub(crate) struct EpochIterator<'d> {
    source: &'d dyn BatchSource,
    batch_size: usize,
    shuffle: bool,
    steps_per_epoch: Option<usize>,
    /// The pass under way.
    pass: Option<Batches<'d>>,
    /// Batches taken from the pass under way.
    seen: usize,
    /// Batches taken in the epoch under way.
    step: usize,
}

impl<'d> EpochIterator<'d> {
    pub fn new(
        source: &'d dyn BatchSource,
        batch_size: usize,
        shuffle: bool,
        steps_per_epoch: Option<usize>,
    ) -> Self {
        EpochIterator {
            source,
            batch_size,
            shuffle,
            steps_per_epoch,
            pass: None,
            seen: 0,
            step: 0,
        }
    }

    /// Starts an epoch: a new pass, unless `steps_per_epoch` continues the last one.
    pub fn begin_epoch(&mut self) -> Result<()> {
        self.step = 0;
        if self.steps_per_epoch.is_none() || self.pass.is_none() {
            self.start_pass()?;
        }
        Ok(())
    }

    fn start_pass(&mut self) -> Result<()> {
        let seed = crate::backend::next_seed();
        self.pass = Some(self.source.batches(self.batch_size, self.shuffle, seed)?);
        self.seen = 0;
        Ok(())
    }

    /// The epoch's next batch; `None` when the epoch is over.
    pub fn next_batch(&mut self) -> Option<Result<Batch>> {
        if self.steps_per_epoch.is_some_and(|cap| self.step >= cap) {
            self.end_pass_if_used_up();
            return None;
        }
        let batch = match self.pass.as_mut()?.next() {
            Some(batch) => batch,
            // A continued pass of unknown length ran out exactly as this epoch began.
            None if self.step == 0 && self.seen > 0 => {
                if let Err(e) = self.start_pass() {
                    return Some(Err(e));
                }
                self.pass.as_mut()?.next()?
            }
            // The data ran out: the epoch ends here, and the next one starts a new pass.
            None => {
                self.pass = None;
                return None;
            }
        };
        self.step += 1;
        self.seen += 1;
        Some(batch)
    }

    /// As Keras: once a pass of known length has given all its batches, the next epoch
    /// starts a new one.
    fn end_pass_if_used_up(&mut self) {
        if let Some(n) = self.source.num_batches(self.batch_size) {
            if self.seen >= n {
                self.pass = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data_adapter::TensorData;
    use tch::{Device, Kind, Tensor};

    /// The first example of each batch of each epoch.
    fn firsts(steps: Option<usize>, epochs: usize) -> Vec<Vec<i64>> {
        let x = Tensor::arange(10, (Kind::Int64, Device::Cpu));
        let data = TensorData::new(&x, None).unwrap();
        let mut it = EpochIterator::new(&data, 2, false, steps);
        (0..epochs)
            .map(|_| {
                it.begin_epoch().unwrap();
                std::iter::from_fn(|| it.next_batch())
                    .map(|b| b.unwrap().x().int64_value(&[0]))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn each_epoch_is_one_pass_without_steps_per_epoch() {
        assert_eq!(firsts(None, 2), vec![vec![0, 2, 4, 6, 8]; 2]);
    }

    #[test]
    fn steps_per_epoch_continues_the_pass_as_keras_does() {
        // 5 batches a pass, 2 an epoch: the third epoch gets the pass's last batch only.
        assert_eq!(
            firsts(Some(2), 4),
            vec![vec![0, 2], vec![4, 6], vec![8], vec![0, 2]]
        );
        // Cut where a pass ends: every epoch is full.
        let x = Tensor::arange(8, (Kind::Int64, Device::Cpu));
        let data = TensorData::new(&x, None).unwrap();
        assert_eq!(epoch_steps(&data, 2, Some(2)), Some(2));
        assert_eq!(epoch_steps(&data, 2, Some(9)), Some(4));
        let mut it = EpochIterator::new(&data, 2, false, Some(2));
        for _ in 0..4 {
            it.begin_epoch().unwrap();
            assert_eq!(std::iter::from_fn(|| it.next_batch()).count(), 2);
        }
    }
}
