//! Keras's `Embedding`: integer ids → dense vectors.

use super::config::field;
use super::handle::{layer_builder, layer_shape_err, LayerKind, LayerOpts, Weight};
use crate::error::Result;
use crate::initializers::Initializer;
use serde_json::{json, Value};
use tch::{Device, Kind, Tensor};

/// Keras's `Embedding`: input `(batch, steps)` of ids in `[0, input_dim)` → output
/// `(batch, steps, output_dim)`; weight `embeddings` `(input_dim, output_dim)`, initialised
/// uniform in ±0.05.
///
/// ```
/// use ferrokeras::prelude::*;
/// let m = Sequential::new().add(Input::new([40])).add(Embedding::new(39, 64));
/// assert_eq!(m.count_params(), 2496);
/// ```
pub struct Embedding {
    pub(crate) opts: LayerOpts,
    input_dim: i64,
    output_dim: i64,
    table: Option<Tensor>,
}
layer_builder!(Embedding);

impl Embedding {
    /// Rebuilds the layer from its saved [`LayerKind::config`].
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Embedding::new(
            field("Embedding", c, "input_dim")?,
            field("Embedding", c, "output_dim")?,
        ))
    }
}

impl Embedding {
    /// A vocabulary of `input_dim` ids mapped to vectors of `output_dim`.
    pub fn new(input_dim: i64, output_dim: i64) -> Self {
        Embedding {
            opts: LayerOpts::default(),
            input_dim,
            output_dim,
            table: None,
        }
    }
}

impl LayerKind for Embedding {
    fn index_limit(&self) -> Option<i64> {
        Some(self.input_dim)
    }
    fn class_name(&self) -> &'static str {
        "Embedding"
    }
    fn default_name(&self) -> &'static str {
        "embedding"
    }
    fn build(&mut self, label: &str, input: &[i64], device: Device) -> Result<Vec<i64>> {
        if input.is_empty() {
            return Err(layer_shape_err(
                label,
                "at least 2 dimensions (batch, steps)",
                input,
            ));
        }
        if self.table.is_none() {
            self.table = Some(
                Initializer::Uniform(-0.05, 0.05).make(&[self.input_dim, self.output_dim], device),
            );
        }
        let mut out = input.to_vec();
        out.push(self.output_dim);
        Ok(out)
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        let ids = if x.kind() == Kind::Int64 {
            x.shallow_clone()
        } else {
            x.to_kind(Kind::Int64)
        };
        Tensor::embedding(self.table.as_ref().expect("built"), &ids, -1, false, false)
    }
    fn weights(&self) -> Vec<Weight> {
        self.table
            .iter()
            .map(|t| Weight {
                name: "embeddings",
                value: t.shallow_clone(),
                trainable: true,
            })
            .collect()
    }
    fn params(&self) -> Vec<Tensor> {
        self.table.iter().map(Tensor::shallow_clone).collect()
    }
    fn config(&self) -> Value {
        json!({"input_dim": self.input_dim, "output_dim": self.output_dim})
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    #[test]
    fn looks_up_rows() {
        let e: Layer = Embedding::new(5, 2).into();
        let ids = Tensor::from_slice(&[4i64, 0, 4]).view([1, 3]);
        let y = e.call(&ids).unwrap();
        assert_eq!(y.size(), vec![1, 3, 2]);
        let table = e.weights()[0].shallow_clone();
        assert!(y.get(0).get(0).equal(&table.get(4)));
        assert!(y.get(0).get(2).equal(&table.get(4)));
        assert!(table.abs().max().double_value(&[]) <= 0.05);
        let model = Sequential::new()
            .add(Input::new([3]))
            .add(Embedding::new(5, 2).name("emb"));
        let err = model
            .predict(
                &Tensor::from_slice(&[1i64, 5, 2]).view([1, 3]),
                Predict::default(),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid training data: Embedding 'emb' takes ids in [0, 5), got ids from 1 to 5"
        );
    }
}
