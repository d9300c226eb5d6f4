//! The data `fit`, `evaluate` and `predict` take, as Keras takes it: `x` as tensors or a
//! dataset, `y` as tensors or `None` (a dataset carries its own targets), and how each becomes
//! batches in the model's input and output order.

use super::objective::Objective;
use crate::data_adapter::{BatchSource, TensorData, Tensors};
use crate::datasets::Dataset;
use crate::error::{Error, Result};
use crate::models::{Model, Plan};
use std::collections::HashMap;
use tch::Tensor;

/// `x` of `fit`, `evaluate` and `predict`: in-memory tensors (one, a list in the model's input
/// order, or by input name) or a dataset (anything that is a [`BatchSource`]: a `Dataset`,
/// `ImageDataGenerator::flow`'s batches, `image_dataset_from_directory`'s, a `tfds` split),
/// borrowed (`&train_ds`) or given (`datagen.flow(…)?`).
pub enum Inputs<'a> {
    /// In-memory tensors.
    Tensors(Tensors<'a>),
    /// A borrowed dataset.
    Source(&'a dyn BatchSource),
    /// A dataset given to the call.
    Owned(Box<dyn BatchSource + 'a>),
}

/// `y` of `fit` and `evaluate`: the targets for tensors `x` (as [`Tensors`]: one, a list, or
/// by output name), or `None` when `x` is a dataset, which yields its own targets.
pub struct Targets<'a>(Option<Tensors<'a>>);

impl<'a> From<Option<&'a Tensor>> for Targets<'a> {
    fn from(y: Option<&'a Tensor>) -> Self {
        Targets(y.map(Tensors::from))
    }
}

impl<'a, T: BatchSource> From<&'a T> for Inputs<'a> {
    fn from(source: &'a T) -> Self {
        Inputs::Source(source)
    }
}

impl From<Dataset> for Inputs<'_> {
    fn from(source: Dataset) -> Self {
        Inputs::Owned(Box::new(source))
    }
}

/// Every spelling [`Tensors`] has, for both `x` and `y`.
macro_rules! from_tensors {
    ($([$($generics:tt)*] $t:ty),* $(,)?) => {$(
        impl<'a, $($generics)*> From<$t> for Inputs<'a> {
            fn from(t: $t) -> Self {
                Inputs::Tensors(t.into())
            }
        }
        impl<'a, $($generics)*> From<$t> for Targets<'a> {
            fn from(t: $t) -> Self {
                Targets(Some(t.into()))
            }
        }
    )*};
}
from_tensors!(
    [] &'a Tensor,
    [const N: usize] [&'a Tensor; N],
    [] Vec<&'a Tensor>,
    [const N: usize] [(&str, &'a Tensor); N],
    [] Vec<(&str, &'a Tensor)>,
    [] &'a HashMap<String, Tensor>,
    [] Tensors<'a>,
);

/// Validation data for `Fit::validation_data`: tensors `(x, y)` or a dataset.
pub enum Validation<'a> {
    /// In-memory `(x, y)` (several of each for a model of several inputs or outputs).
    Tensors(Tensors<'a>, Tensors<'a>),
    /// A dataset (any [`BatchSource`]).
    Source(&'a dyn BatchSource),
}

impl<'a, X: Into<Tensors<'a>>, Y: Into<Tensors<'a>>> From<(X, Y)> for Validation<'a> {
    fn from((x, y): (X, Y)) -> Self {
        Validation::Tensors(x.into(), y.into())
    }
}

impl<'a, T: BatchSource> From<&'a T> for Validation<'a> {
    fn from(s: &'a T) -> Self {
        Validation::Source(s)
    }
}

/// A call's data, ready for the model: tensors in its order, or a dataset's batches.
pub(crate) enum Batched<'s> {
    /// In-memory tensors, in the model's input and output order.
    Tensors(TensorData),
    /// A dataset, whose batches are in the model's order already.
    Source(&'s dyn BatchSource),
}

impl Model {
    /// Builds the model from `x` if needed and puts the call's data in the model's order.
    /// `call` names the method in errors; `needs_targets`: `fit` and `evaluate`.
    pub(crate) fn batched<'s>(
        &self,
        x: &'s Inputs<'_>,
        y: Option<&Tensors<'_>>,
        call: &str,
        needs_targets: bool,
    ) -> Result<(Plan, Batched<'s>)> {
        let source: &dyn BatchSource = match x {
            Inputs::Tensors(x) => {
                if needs_targets && y.is_none() {
                    return Err(Error::InvalidArgument(format!(
                        "{call} on tensors needs their targets: model.{call}(&x, &y, …); \
                         y is None only for a dataset, which yields its own"
                    )));
                }
                let (plan, data) = self.tensor_data(x, y)?;
                return Ok((plan, Batched::Tensors(data)));
            }
            Inputs::Source(s) => *s,
            Inputs::Owned(s) => s.as_ref(),
        };
        if y.is_some() {
            return Err(Error::InvalidArgument(format!(
                "y must be None when x is a dataset: its batches hold the targets \
                 (model.{call}(&dataset, None, …))"
            )));
        }
        self.build_from_source(source)?;
        Ok((self.plan()?, Batched::Source(source)))
    }

    /// Builds the model from the data if needed, and puts the data in the model's input and
    /// output order, checking the targets against the losses.
    pub(crate) fn tensor_data(
        &self,
        x: &Tensors<'_>,
        y: Option<&Tensors<'_>>,
    ) -> Result<(Plan, TensorData)> {
        let example = x.first_shape();
        self.ensure_built(example.as_deref().and_then(|s| s.get(1..)))?;
        let plan = self.plan()?;
        let xs = x.in_order(&plan.input_names(), "input")?;
        let ys = match y {
            Some(y) => y.in_order(&plan.output_names(), "output")?,
            None => Vec::new(),
        };
        if !ys.is_empty() && self.is_compiled() {
            self.with_compiled(|c| Objective::new(c, &plan)?.check_targets(&ys))?;
        }
        Ok((plan, TensorData::from_lists(xs, ys)?))
    }

    /// Builds an unbuilt model from a source's first batch.
    fn build_from_source(&self, source: &dyn BatchSource) -> Result<()> {
        if self.built() || self.declared_input().is_some() {
            return self.build();
        }
        let first = source
            .batches(1, false, 0)?
            .next()
            .ok_or_else(|| Error::InvalidData("the data source yields no batches".into()))??;
        self.build_for(&first.x().size()[1..])
    }
}

impl<'a> Targets<'a> {
    /// The targets, if given.
    pub(crate) fn tensors(&self) -> Option<&Tensors<'a>> {
        self.0.as_ref()
    }
}
