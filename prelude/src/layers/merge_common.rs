//! What Keras's merge layers share (`keras/src/layers/merging/base_merge.py`): a list of
//! inputs of one shape in, one tensor out. `Add`, `Subtract`, `Multiply`, `Average`,
//! `Maximum`, `Minimum` and `Concatenate` are each a thin builder over [`Merge`].

use super::config::field;
use super::{layer_shape_err, LayerKind};
use crate::error::{keras_shape, Error, Result};
use serde_json::{json, Value};
use tch::{Device, Tensor};

/// How the inputs are merged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum MergeOp {
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    /// Along a Keras axis (counting the batch axis; negative from the end).
    Concatenate(i64),
}

/// One merge layer's implementation.
pub(crate) struct Merge {
    pub op: MergeOp,
}

impl Merge {
    /// The example axis (no batch) that `Concatenate(axis)` joins, for examples of `rank` axes.
    fn concat_axis(axis: i64, rank: usize) -> Option<usize> {
        let rank = rank as i64;
        let a = if axis < 0 { rank + 1 + axis } else { axis };
        (1..=rank).contains(&a).then(|| (a - 1) as usize)
    }

    /// Rebuilds a `Concatenate` from its saved config.
    pub(crate) fn concatenate_from_config(c: &Value) -> Result<Merge> {
        Ok(Merge {
            op: MergeOp::Concatenate(field("Concatenate", c, "axis")?),
        })
    }
}

fn shapes_text(inputs: &[Vec<i64>]) -> String {
    inputs
        .iter()
        .map(|s| keras_shape(&[[-1].as_slice(), s].concat()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl LayerKind for Merge {
    fn class_name(&self) -> &'static str {
        match self.op {
            MergeOp::Add => "Add",
            MergeOp::Subtract => "Subtract",
            MergeOp::Multiply => "Multiply",
            MergeOp::Average => "Average",
            MergeOp::Maximum => "Maximum",
            MergeOp::Minimum => "Minimum",
            MergeOp::Concatenate(_) => "Concatenate",
        }
    }
    fn default_name(&self) -> &'static str {
        match self.op {
            MergeOp::Add => "add",
            MergeOp::Subtract => "subtract",
            MergeOp::Multiply => "multiply",
            MergeOp::Average => "average",
            MergeOp::Maximum => "maximum",
            MergeOp::Minimum => "minimum",
            MergeOp::Concatenate(_) => "concatenate",
        }
    }
    /// A merge layer called on one tensor: Keras wants a list.
    fn build(&mut self, label: &str, input: &[i64], _device: Device) -> Result<Vec<i64>> {
        Err(layer_shape_err(
            label,
            "a list of inputs, e.g. .call(&[&a, &b])",
            input,
        ))
    }
    fn build_inputs(
        &mut self,
        label: &str,
        inputs: &[Vec<i64>],
        _device: Device,
    ) -> Result<Vec<i64>> {
        let need = if self.op == MergeOp::Subtract {
            2..=2
        } else {
            1..=usize::MAX
        };
        if !need.contains(&inputs.len()) {
            let what = if self.op == MergeOp::Subtract {
                "exactly 2 inputs"
            } else {
                "at least 1 input"
            };
            return Err(Error::InvalidArgument(format!(
                "{label} takes {what}, got {}",
                inputs.len()
            )));
        }
        let first = &inputs[0];
        let fits = |a: i64, b: i64| a == b || a == -1 || b == -1;
        match self.op {
            MergeOp::Concatenate(axis) => {
                let Some(ax) = Self::concat_axis(axis, first.len()) else {
                    return Err(Error::InvalidArgument(format!(
                        "{label}: axis {axis} is out of range for inputs of shape {}",
                        shapes_text(&inputs[..1])
                    )));
                };
                let same_but_axis = inputs.iter().all(|s| {
                    s.len() == first.len()
                        && s.iter()
                            .zip(first)
                            .enumerate()
                            .all(|(i, (&a, &b))| i == ax || fits(a, b))
                });
                if !same_but_axis {
                    return Err(Error::Shape {
                        layer: label.to_string(),
                        expected: format!("inputs of one shape except on axis {axis}"),
                        got: shapes_text(inputs),
                    });
                }
                let mut out = first.clone();
                out[ax] = if inputs.iter().any(|s| s[ax] == -1) {
                    -1
                } else {
                    inputs.iter().map(|s| s[ax]).sum()
                };
                Ok(out)
            }
            _ => {
                let same = inputs.iter().all(|s| {
                    s.len() == first.len() && s.iter().zip(first).all(|(&a, &b)| fits(a, b))
                });
                if !same {
                    return Err(Error::Shape {
                        layer: label.to_string(),
                        expected: "inputs of one shape".into(),
                        got: shapes_text(inputs),
                    });
                }
                Ok(first.clone())
            }
        }
    }
    fn forward(&self, x: &Tensor, _training: bool) -> Tensor {
        x.shallow_clone()
    }
    fn forward_inputs(&self, xs: &[Tensor], _training: bool) -> Tensor {
        let fold = |f: fn(&Tensor, &Tensor) -> Tensor| {
            xs[1..]
                .iter()
                .fold(xs[0].shallow_clone(), |acc, x| f(&acc, x))
        };
        match self.op {
            MergeOp::Add => fold(|a, b| a + b),
            MergeOp::Subtract => &xs[0] - &xs[1],
            MergeOp::Multiply => fold(|a, b| a * b),
            MergeOp::Average => fold(|a, b| a + b) / xs.len() as f64,
            MergeOp::Maximum => fold(|a, b| a.maximum(b)),
            MergeOp::Minimum => fold(|a, b| a.minimum(b)),
            MergeOp::Concatenate(axis) => {
                let rank = xs[0].dim();
                let ax = if axis < 0 { rank as i64 + axis } else { axis };
                Tensor::cat(xs, ax)
            }
        }
    }
    fn config(&self) -> Value {
        match self.op {
            MergeOp::Concatenate(axis) => json!({ "axis": axis }),
            _ => json!({}),
        }
    }
}

/// Declares one merge layer builder over [`Merge`].
macro_rules! merge_layer {
    ($ty:ident, $op:ident, $doc:literal) => {
        #[doc = $doc]
        pub struct $ty {
            pub(crate) opts: LayerOpts,
            inner: Merge,
        }
        layer_builder!($ty);

        impl $ty {
            /// The layer, named automatically unless `.name(…)` is given.
            pub fn new() -> Self {
                $ty {
                    opts: LayerOpts::default(),
                    inner: Merge { op: MergeOp::$op },
                }
            }

            /// Rebuilds the layer from its saved [`LayerKind::config`].
            pub(crate) fn from_config(_c: &Value) -> Result<Self> {
                Ok(Self::new())
            }
        }

        impl Default for $ty {
            fn default() -> Self {
                Self::new()
            }
        }

        delegate_layer_kind!($ty);
    };
}
pub(super) use merge_layer;

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::from_slice(v).view([2, 3])
    }

    fn vals(x: Tensor) -> Vec<f32> {
        Vec::<f32>::try_from(x.reshape([-1])).unwrap()
    }

    /// The values Keras 3 gives for the same inputs (tests/keras_reference/reference.json).
    #[test]
    fn merges_match_keras() {
        let a = t(&[1., -2., 3., 4., 5., -6.]);
        let b = t(&[0.5, 2., -3., 4., -1., 7.]);
        let ab = [&a, &b];
        assert_eq!(
            vals(Add::new().call(&ab).unwrap()),
            [1.5, 0., 0., 8., 4., 1.]
        );
        assert_eq!(
            vals(Subtract::new().call(&ab).unwrap()),
            [0.5, -4., 6., 0., 6., -13.]
        );
        assert_eq!(
            vals(Multiply::new().call(&ab).unwrap()),
            [0.5, -4., -9., 16., -5., -42.]
        );
        assert_eq!(
            vals(Average::new().call(&ab).unwrap()),
            [0.75, 0., 0., 4., 2., 0.5]
        );
        assert_eq!(
            vals(Maximum::new().call(&ab).unwrap()),
            [1., 2., 3., 4., 5., 7.]
        );
        assert_eq!(
            vals(Minimum::new().call(&ab).unwrap()),
            [0.5, -2., -3., 4., -1., -6.]
        );
        let c = Concatenate::new().call(&ab).unwrap();
        assert_eq!(c.size(), vec![2, 6]);
        assert_eq!(
            vals(c),
            [1., -2., 3., 0.5, 2., -3., 4., 5., -6., 4., -1., 7.]
        );
    }

    #[test]
    fn mismatched_shapes_name_the_layer_and_both_shapes() {
        let a = Input::new([4]);
        let b = Input::new([5]);
        let err = Add::new()
            .name("sum")
            .call(&[&a, &b])
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("Add 'sum'") && err.contains("(None, 4), (None, 5)"),
            "{err}"
        );
        let err = Subtract::new()
            .call(&[&a, &a, &a])
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("exactly 2 inputs"), "{err}");
        let err = Add::new().call(&a).err().unwrap().to_string();
        assert!(err.contains("a list of inputs"), "{err}");
    }
}
