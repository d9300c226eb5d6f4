//! Where each batch's sample weights come from: `fit`'s `sample_weight` (one per example)
//! or `class_weight` (one per class), as Keras turns both into per-example weights.

use crate::data_adapter::TensorData;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use tch::{Kind, Tensor};

/// The weighting of a run's batches.
pub(crate) enum SampleWeights {
    /// Every example counts once.
    None,
    /// The weights travel with the data as one more target tensor, the last, so that
    /// shuffling and `validation_split` keep them with their examples.
    LastTarget,
    /// Weights by class: each example's from its target's class (Keras's `class_weight`).
    Class(BTreeMap<i64, f64>),
}

impl SampleWeights {
    /// The batch's targets and its weights, if any.
    pub fn split(&self, mut targets: Vec<Tensor>) -> Result<(Vec<Tensor>, Option<Tensor>)> {
        match self {
            SampleWeights::None => Ok((targets, None)),
            SampleWeights::LastTarget => {
                let w = targets.pop().expect("the weights were added as a target");
                Ok((targets, Some(w)))
            }
            SampleWeights::Class(map) => {
                let w = class_weights(&targets[0], map);
                Ok((targets, Some(w)))
            }
        }
    }
}

/// Keras's `class_weight_to_sample_weights`: the class of each example (the argmax of a
/// one-hot target, else the rounded label), then its class's weight, 1 for a class not in
/// `map`.
pub(crate) fn class_weights(y: &Tensor, map: &BTreeMap<i64, f64>) -> Tensor {
    let size = y.size();
    let classes = if size.len() > 1 && size[size.len() - 1] != 1 {
        y.argmax(-1, false)
    } else {
        let flat = y
            .reshape([size.first().copied().unwrap_or(1), -1])
            .select(1, 0);
        flat.to_kind(Kind::Double).round().to_kind(Kind::Int64)
    };
    let mut w = Tensor::ones([classes.size()[0]], (Kind::Float, classes.device()));
    for (&class, &weight) in map {
        let mask = classes.eq(class);
        w = w.masked_fill(&mask, weight);
    }
    w
}

/// Checks `fit`'s weighting options and puts `sample_weight` beside the targets.
pub(crate) fn attach_sample_weight(
    data: TensorData,
    sample_weight: Option<&Tensor>,
    class_weight: &Option<BTreeMap<i64, f64>>,
    outputs: usize,
) -> Result<(TensorData, SampleWeights)> {
    match (sample_weight, class_weight) {
        (Some(_), Some(_)) => Err(Error::InvalidArgument(
            "you cannot give both class_weight and sample_weight (as in Keras)".into(),
        )),
        (Some(w), None) => {
            if w.dim() != 1 || w.size()[0] as usize != data.len() {
                return Err(Error::InvalidData(format!(
                    "sample_weight must hold one weight per example: shape [{}], got {:?}",
                    data.len(),
                    w.size()
                )));
            }
            Ok((
                data.with_target(w.to_kind(Kind::Float))?,
                SampleWeights::LastTarget,
            ))
        }
        (None, Some(map)) if outputs != 1 => Err(Error::InvalidArgument(format!(
            "class_weight is for models of one output; this one has {outputs} (as in Keras, give sample_weight instead; {} classes given)",
            map.len()
        ))),
        (None, Some(map)) => Ok((data, SampleWeights::Class(map.clone()))),
        (None, None) => Ok((data, SampleWeights::None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_weights_from_labels_and_one_hot() {
        let map = BTreeMap::from([(0, 0.5), (2, 3.0)]);
        let labels = Tensor::from_slice(&[0i64, 1, 2, 2]);
        let w = Vec::<f64>::try_from(class_weights(&labels, &map)).unwrap();
        assert_eq!(w, [0.5, 1.0, 3.0, 3.0]);
        let one_hot = Tensor::from_slice(&[0f32, 0., 1., 1., 0., 0.]).view([2, 3]);
        let w = Vec::<f64>::try_from(class_weights(&one_hot, &map)).unwrap();
        assert_eq!(w, [3.0, 0.5]);
        let column = Tensor::from_slice(&[1f32, 0.]).view([2, 1]);
        let w = Vec::<f64>::try_from(class_weights(&column, &map)).unwrap();
        assert_eq!(w, [1.0, 0.5]);
    }
}
