//! `predict`: outputs for data, in batches, without gradients, on the CPU.

use crate::data_adapter::{BatchSource, Tensors};
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use crate::runtime::interrupted;
use tch::{Device, Tensor};

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
        let (plan, data) = self.tensor_data(&x.into(), None)?;
        predict_batches(&plan, &data, batch_size)
    }

    /// Predictions over a [`BatchSource`] (targets, if any, are ignored).
    pub fn predict_source(&self, source: &dyn BatchSource) -> Result<Tensor> {
        self.build_from_source(source)?;
        let plan = self.plan()?;
        Ok(predict_batches(&plan, source, 32)?.swap_remove(0))
    }
}

fn predict_batches(
    plan: &Plan,
    source: &dyn BatchSource,
    batch_size: usize,
) -> Result<Vec<Tensor>> {
    let n_out = plan.graph.outputs.len();
    let mut outs: Vec<Vec<Tensor>> = (0..n_out).map(|_| Vec::new()).collect();
    for batch in source.batches(batch_size.max(1), false, 0)? {
        let batch = batch?;
        let xs = plan.prepare(&batch.inputs)?;
        let preds = tch::no_grad(|| plan.forward(&xs, false));
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
    Ok(outs.iter().map(|o| Tensor::cat(o, 0)).collect())
}
