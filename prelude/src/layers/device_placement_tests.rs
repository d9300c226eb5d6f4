//! A layer called on a tensor that is not where its weights are (a model built on the GPU, a
//! CPU batch from a cell) runs where the weights are: the input follows them.
//!
//! libtorch's meta device stands in for the GPU on machines without one. Its `linear` accepts a
//! CPU input beside meta weights, so the layer here adds its weight with `+`, which checks
//! devices as CUDA kernels do.

use super::Layer;
use super::{LayerKind, LayerOpts};
use crate::backend::meta_device::{is_meta, to_meta};
use crate::error::Result;
use crate::losses::Loss;
use serde_json::{json, Value};
use tch::{Device, Kind, Tensor};

/// `x + w` with one weight of the input's shape, made by the test.
struct AddWeight {
    w: Tensor,
}

impl LayerKind for AddWeight {
    fn class_name(&self) -> &'static str {
        "AddWeight"
    }
    fn default_name(&self) -> &'static str {
        "add_weight"
    }
    fn build(&mut self, _label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Ok(input.to_vec())
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x + &self.w
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.w.shallow_clone()]
    }
    fn config(&self) -> Value {
        json!({})
    }
}

#[test]
fn a_cpu_input_follows_weights_on_another_device() {
    let w = to_meta(&Tensor::ones([3], (Kind::Float, Device::Cpu)));
    let layer = Layer::new(AddWeight { w }, LayerOpts::default());
    let x = Tensor::ones([2, 3], (Kind::Float, Device::Cpu));
    let y = layer.call(&x).expect("the layer runs");
    assert!(is_meta(&y), "the output is where the weights are");
    assert_eq!(y.size(), vec![2, 3]);
    // Labels prepared on the CPU meet predictions on the weights' device in a loss.
    let loss = Loss::parse("sparse_categorical_crossentropy").unwrap();
    let labels = Tensor::from_slice(&[0i64, 2]);
    assert!(is_meta(&loss.compute(&y, &labels).unwrap()));
}
