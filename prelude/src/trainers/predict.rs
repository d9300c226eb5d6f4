//! `predict`: outputs for data, in batches, without gradients, on the CPU.

use super::data::{Batched, Inputs};
use super::result_line::ResultLine;
use crate::callbacks::{Callback, CallbackList};
use crate::data_adapter::BatchSource;
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::interrupted;
use tch::{Device, Tensor};

/// `predict`'s options, Keras's keyword arguments with Keras's defaults:
/// `Predict { batch_size: 64, verbose: 0, ..Default::default() }.callback(my_callback)`.
pub struct Predict<'a> {
    /// Examples per batch (default 32).
    pub batch_size: usize,
    /// 0 silent, 1 prints Keras's line `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step` when done
    /// (default, as Keras's `verbose="auto"`).
    pub verbose: u8,
    /// Callbacks, called with the `on_predict_*` hooks.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
}

impl Default for Predict<'_> {
    fn default() -> Self {
        Predict {
            batch_size: 32,
            verbose: 1,
            callbacks: Vec::new(),
        }
    }
}

impl<'a> Predict<'a> {
    /// Adds a callback.
    pub fn callback(mut self, c: impl Callback + 'a) -> Self {
        self.callbacks.push(Box::new(c));
        self
    }
}

impl Model {
    /// Predictions for `x` (Keras's `model.predict`): tensors, or a dataset (whose targets, if
    /// any, are ignored); in batches, without gradients, returned on the CPU. For a model of
    /// several outputs, the first; see [`Model::predict_outputs`]. Prints Keras's
    /// `4/4 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step` when done unless `verbose: 0`.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let model = Sequential::new().add(Input::new([2])).add(Dense::new(3));
    /// let x = Tensor::rand([5, 2], (Kind::Float, Device::Cpu));
    /// let y = model.predict(&x, Predict { batch_size: 2, ..Default::default() })?;
    /// assert_eq!(y.size(), [5, 3]);
    /// let ds = Dataset::from_tensor_slices_x(&x)?.batch(2);
    /// assert!(model.predict(&ds, Predict::default())?.allclose(&y, 1e-6, 1e-6, false));
    /// # Ok(())
    /// # }
    /// ```
    pub fn predict<'a>(&self, x: impl Into<Inputs<'a>>, opts: Predict<'_>) -> Result<Tensor> {
        Ok(self.predict_outputs(x, opts)?.swap_remove(0))
    }

    /// [`Model::predict`] for every output of the model, in output order.
    pub fn predict_outputs<'a>(
        &self,
        x: impl Into<Inputs<'a>>,
        opts: Predict<'_>,
    ) -> Result<Vec<Tensor>> {
        let x = x.into();
        let (plan, data) = self.batched(&x, None, "predict", false)?;
        let source: &dyn BatchSource = match &data {
            Batched::Tensors(d) => d,
            Batched::Source(s) => *s,
        };
        let line = ResultLine::start(opts.verbose, source.num_batches(opts.batch_size));
        let mut callbacks = CallbackList::new(opts.callbacks);
        let outputs = predict_batches(self, &plan, source, opts.batch_size, &mut callbacks)?;
        line.print("");
        Ok(outputs)
    }
}

/// Keras's `predict` loop, with its `on_predict_*` hooks.
fn predict_batches(
    model: &Model,
    plan: &Plan,
    source: &dyn BatchSource,
    batch_size: usize,
    callbacks: &mut dyn Callback,
) -> Result<Vec<Tensor>> {
    let n_out = plan.graph.outputs.len();
    let mut outs: Vec<Vec<Tensor>> = (0..n_out).map(|_| Vec::new()).collect();
    callbacks.on_predict_begin(model)?;
    for (step, batch) in source.batches(batch_size.max(1), false, 0)?.enumerate() {
        let batch = batch?;
        callbacks.on_predict_batch_begin(step, model)?;
        let xs = plan.prepare(&batch.inputs)?;
        let preds = tch::no_grad(|| plan.forward(&xs, false));
        callbacks.on_predict_batch_end(step, &preds, model)?;
        for (acc, p) in outs.iter_mut().zip(preds) {
            acc.push(p.to_device(Device::Cpu));
        }
        if interrupted() {
            return Err(Error::Interrupted);
        }
    }
    if outs[0].is_empty() {
        return Err(Error::InvalidData("no data to predict on".into()));
    }
    callbacks.on_predict_end(model)?;
    Ok(outs.iter().map(|o| Tensor::cat(o, 0)).collect())
}
