//! Calling a layer on real tensors: [`CallArg`], what `Layer::call` accepts, and its
//! implementations for tensors (symbolic tensors implement it in `node`).

use super::kind::Layer;
use super::shape_error::layer_shape_err;
use crate::backend::to_device_of;
use crate::error::Result;
use tch::{Device, Tensor};

impl Layer {
    /// Calls the layer on a tensor (inference mode) or a symbolic [`KerasTensor`].
    pub fn call<A: CallArg + ?Sized>(&self, x: &A) -> A::Output {
        x.call_layer(self)
    }
}

/// What [`Layer::call`] accepts: a real tensor (runs the layer) or a symbolic one (builds a
/// functional graph).
pub trait CallArg {
    /// What the call returns.
    type Output;
    /// Calls `layer` on `self`.
    fn call_layer(&self, layer: &Layer) -> Self::Output;
}

impl CallArg for Tensor {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, &[self], false)
    }
}

/// Runs `layer` on real tensors: builds it for their shapes, passes integer inputs as they
/// are to a layer that takes ids (Embedding) and as floats to every other layer.
fn call_on_tensors(layer: &Layer, xs: &[&Tensor], list: bool) -> Result<Tensor> {
    let mut shapes = Vec::with_capacity(xs.len());
    for x in xs {
        let size = x.size();
        if size.is_empty() {
            return Err(layer_shape_err(
                &layer.label(),
                "a batch of examples",
                &size,
            ));
        }
        shapes.push(size[1..].to_vec());
    }
    let device = xs.first().map_or(Device::Cpu, |x| x.device());
    if list {
        layer.build_inputs(&shapes, device)?;
    } else {
        layer.build(&shapes[0], device)?;
    }
    let takes_ids = layer.index_limit().is_some();
    // A layer of a model built on the GPU, called on a CPU batch (a cell inspecting layer by
    // layer): the inputs go where the weights are.
    let weights_at = layer.params().into_iter().next();
    let xs: Vec<Tensor> = xs
        .iter()
        .map(|x| {
            let x = if crate::data_adapter::is_integer(x) && !takes_ids {
                x.to_kind(tch::Kind::Float)
            } else {
                x.shallow_clone()
            };
            match &weights_at {
                Some(w) => to_device_of(&x, w),
                None => x,
            }
        })
        .collect();
    Ok(layer.forward_inputs(&xs, false))
}

/// A list of tensors for a layer of several inputs: `Add::new().call(&[&a, &b])`.
impl<const N: usize> CallArg for [&Tensor; N] {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, self, true)
    }
}

impl CallArg for [&Tensor] {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, self, true)
    }
}

impl CallArg for Vec<Tensor> {
    type Output = Result<Tensor>;
    fn call_layer(&self, layer: &Layer) -> Result<Tensor> {
        call_on_tensors(layer, &self.iter().collect::<Vec<_>>(), true)
    }
}
