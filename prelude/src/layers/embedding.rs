//! Keras's `Embedding`: integer ids → dense vectors. Its typed config (the builder) and the
//! built layer whose table the first build creates (on the device of that build).

use super::config::read_config;
use super::keras_object::KerasObject;
use super::{layer_builder, layer_shape_err, LayerKind, LayerOpts, LayerSpec, Lookup, Weight};
use crate::error::Result;
use crate::initializers::Initializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tch::{Device, Kind, Tensor};

/// `Embedding`'s options, field for field as Keras 3 writes them (less `name`, `trainable`,
/// `dtype`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingConfig {
    /// How many ids (required).
    pub input_dim: i64,
    /// The vector size (required).
    pub output_dim: i64,
    /// How the table is drawn.
    #[serde(default = "KerasObject::embedding_uniform")]
    pub embeddings_initializer: KerasObject,
    /// Kept for saving; not applied.
    pub embeddings_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub activity_regularizer: Option<KerasObject>,
    /// Kept for saving; not applied.
    pub embeddings_constraint: Option<KerasObject>,
    /// Masking is not implemented (the loader's models do not use it).
    #[serde(default)]
    pub mask_zero: bool,
    /// Keras's quantization settings; `None` in the prelude.
    pub quantization_config: Option<Value>,
}

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
    config: EmbeddingConfig,
}
layer_builder!(Embedding, spec);

impl Embedding {
    /// A vocabulary of `input_dim` ids mapped to vectors of `output_dim`.
    pub fn new(input_dim: i64, output_dim: i64) -> Self {
        Embedding::from_typed(EmbeddingConfig {
            input_dim,
            output_dim,
            embeddings_initializer: KerasObject::embedding_uniform(),
            embeddings_regularizer: None,
            activity_regularizer: None,
            embeddings_constraint: None,
            mask_zero: false,
            quantization_config: None,
        })
    }
    /// The layer of a typed config.
    pub fn from_typed(config: EmbeddingConfig) -> Self {
        Embedding {
            opts: LayerOpts::default(),
            config,
        }
    }
    /// Rebuilds the layer from its saved config (Keras's or the prelude's).
    pub(crate) fn from_config(c: &Value) -> Result<Self> {
        Ok(Embedding::from_typed(read_config("Embedding", c)?))
    }
}

/// An error unless `input` has a steps axis.
fn check_rank(label: &str, input: &[i64]) -> Result<()> {
    if input.is_empty() {
        return Err(layer_shape_err(
            label,
            "at least 2 dimensions (batch, steps)",
            input,
        ));
    }
    Ok(())
}

impl LayerSpec for Embedding {
    fn index_limit(&self) -> Option<i64> {
        Some(self.config.input_dim)
    }
    fn class_name(&self) -> &'static str {
        "Embedding"
    }
    fn default_name(&self) -> &'static str {
        "embedding"
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("an EmbeddingConfig is plain JSON")
    }
    fn init(&self, label: &str, inputs: &[Vec<i64>], device: Device) -> Result<Box<dyn LayerKind>> {
        check_rank(label, inputs.first().map(Vec::as_slice).unwrap_or_default())?;
        let c = &self.config;
        let table = c
            .embeddings_initializer
            .initializer(Initializer::Uniform(-0.05, 0.05))
            .make(&[c.input_dim, c.output_dim], device);
        Ok(Box::new(BuiltEmbedding {
            config: c.clone(),
            table,
        }))
    }
}

/// A built `Embedding`: its table exists.
struct BuiltEmbedding {
    config: EmbeddingConfig,
    /// `(input_dim, output_dim)`.
    table: Tensor,
}

impl BuiltEmbedding {
    /// The rows `x`'s ids pick.
    fn lookup(&self, x: &Tensor) -> Lookup {
        let ids = if x.kind() == Kind::Int64 {
            x.shallow_clone()
        } else {
            x.to_kind(Kind::Int64)
        };
        Lookup {
            table: self.table.shallow_clone(),
            ids,
        }
    }
}

impl LayerKind for BuiltEmbedding {
    fn index_limit(&self) -> Option<i64> {
        Some(self.config.input_dim)
    }
    fn class_name(&self) -> &'static str {
        "Embedding"
    }
    fn default_name(&self) -> &'static str {
        "embedding"
    }
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        check_rank(label, input)?;
        let mut out = input.to_vec();
        out.push(self.config.output_dim);
        Ok(out)
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        self.lookup(x).rows()
    }
    fn as_lookup(&self, x: &Tensor) -> Option<Lookup> {
        Some(self.lookup(x))
    }
    fn weights(&self) -> Vec<Weight> {
        vec![Weight {
            name: "embeddings",
            value: self.table.shallow_clone(),
            trainable: true,
        }]
    }
    fn params(&self) -> Vec<Tensor> {
        vec![self.table.shallow_clone()]
    }
    fn config(&self) -> Value {
        serde_json::to_value(&self.config).expect("an EmbeddingConfig is plain JSON")
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
