//! `predict`: outputs for data, in batches, without gradients, on the CPU.

use crate::callbacks::{Callback, CallbackList};
use crate::data_adapter::{BatchSource, Tensors};
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::interrupted;
use tch::{Device, Tensor};

/// `predict`'s options, Keras's keyword arguments with Keras's defaults:
/// `Predict { batch_size: 64, ..Default::default() }.callback(my_callback)`.
pub struct Predict<'a> {
    /// Examples per batch (default 32).
    pub batch_size: usize,
    /// Callbacks, called with the `on_predict_*` hooks.
    pub callbacks: Vec<Box<dyn Callback + 'a>>,
}

impl Default for Predict<'_> {
    fn default() -> Self {
        Predict {
            batch_size: 32,
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
    /// Predictions for `x`, in batches of 32, without gradients, returned on the CPU. For a
    /// model of several outputs, the first; see [`Model::predict_outputs`].
    pub fn predict<'a>(&self, x: impl Into<Tensors<'a>>) -> Result<Tensor> {
        self.predict_with(x, 32)
    }

    /// `predict` with a batch size.
    pub fn predict_with<'a>(&self, x: impl Into<Tensors<'a>>, batch_size: usize) -> Result<Tensor> {
        Ok(self.predict_outputs_with(x, batch_size)?.swap_remove(0))
    }

    /// Predictions for every output of the model, in output order.
    pub fn predict_outputs<'a>(&self, x: impl Into<Tensors<'a>>) -> Result<Vec<Tensor>> {
        self.predict_outputs_with(x, 32)
    }

    fn predict_outputs_with<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        batch_size: usize,
    ) -> Result<Vec<Tensor>> {
        let opts = Predict {
            batch_size,
            ..Default::default()
        };
        self.predict_outputs_opts(x, opts)
    }

    /// `predict` with Keras's options, callbacks among them; the first output.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// let model = Sequential::new().add(Input::new([2])).add(Dense::new(3));
    /// let x = Tensor::rand([5, 2], (Kind::Float, Device::Cpu));
    /// let y = model.predict_opts(&x, Predict { batch_size: 2, ..Default::default() }).unwrap();
    /// assert_eq!(y.size(), [5, 3]);
    /// ```
    pub fn predict_opts<'a>(&self, x: impl Into<Tensors<'a>>, opts: Predict<'_>) -> Result<Tensor> {
        Ok(self.predict_outputs_opts(x, opts)?.swap_remove(0))
    }

    /// [`Model::predict_opts`] for every output of the model, in output order.
    pub fn predict_outputs_opts<'a>(
        &self,
        x: impl Into<Tensors<'a>>,
        opts: Predict<'_>,
    ) -> Result<Vec<Tensor>> {
        let (plan, data) = self.tensor_data(&x.into(), None)?;
        let mut callbacks = CallbackList::new(opts.callbacks);
        predict_batches(self, &plan, &data, opts.batch_size, &mut callbacks)
    }

    /// Predictions over a [`BatchSource`] (targets, if any, are ignored).
    pub fn predict_source(&self, source: &dyn BatchSource) -> Result<Tensor> {
        self.build_from_source(source)?;
        let plan = self.plan()?;
        let mut callbacks = CallbackList::new(Vec::new());
        Ok(predict_batches(self, &plan, source, 32, &mut callbacks)?.swap_remove(0))
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
