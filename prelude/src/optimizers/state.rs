//! A live optimizer: a rule and its variables bound to the weights it updates, with Keras's
//! `iterations` counter. Its variables read and write as Keras's `optimizer.variables`
//! (`iteration`, `learning_rate`, then the rule's, named and ordered as Keras does), which is
//! how `.keras` and `.h5` files carry them.

use super::adagrad::AdagradState;
use super::adam::AdamState;
use super::param::{keras_order, Param, Slots};
use super::rmsprop::RmspropState;
use super::sgd::SgdState;
use super::{Adagrad, Adam, AdamW, OptimizerSpec, RMSprop, SGD};
use crate::error::{Error, Result};
use tch::{Device, Kind, Tensor};

/// An update rule with its variables.
enum Rule {
    Sgd(SGD, SgdState),
    Adam(Adam, AdamState),
    AdamW(AdamW, AdamState),
    RmsProp(RMSprop, RmspropState),
    Adagrad(Adagrad, AdagradState),
}

/// An optimizer bound to the weights it updates.
pub(crate) struct OptimizerState {
    params: Vec<Param>,
    /// Steps taken (Keras's `optimizer.iterations`).
    iterations: i64,
    rule: Rule,
}

impl OptimizerSpec {
    /// The optimizer bound to `params`, its variables fresh.
    pub(crate) fn bind(&self, params: Vec<Param>) -> OptimizerState {
        let n = params.len();
        let rule = match *self {
            OptimizerSpec::SGD(o) => Rule::Sgd(o, SgdState::new(&o, n)),
            OptimizerSpec::Adam(o) => Rule::Adam(o, AdamState::new(n)),
            OptimizerSpec::AdamW(o) => Rule::AdamW(o, AdamState::new(n)),
            OptimizerSpec::RMSprop(o) => Rule::RmsProp(o, RmspropState::new(&o, n)),
            OptimizerSpec::Adagrad(o) => Rule::Adagrad(o, AdagradState::new(&o, n)),
        };
        OptimizerState {
            params,
            iterations: 0,
            rule,
        }
    }
}

impl OptimizerState {
    /// Clears the weights' gradients before a backward pass, as Keras's torch backend does
    /// (`zero_grad(set_to_none=True)`): a weight the pass does not reach then has none, and
    /// the update leaves it out.
    pub(crate) fn zero_grad(&mut self) {
        for p in &self.params {
            crate::backend::grad::clear_grad(&p.tensor);
        }
    }

    /// The configuration, with the learning rate now.
    pub(crate) fn spec(&self) -> OptimizerSpec {
        match &self.rule {
            Rule::Sgd(o, _) => OptimizerSpec::SGD(*o),
            Rule::Adam(o, _) => OptimizerSpec::Adam(*o),
            Rule::AdamW(o, _) => OptimizerSpec::AdamW(*o),
            Rule::RmsProp(o, _) => OptimizerSpec::RMSprop(*o),
            Rule::Adagrad(o, _) => OptimizerSpec::Adagrad(*o),
        }
    }

    /// Changes the learning rate, keeping the variables (moments, …).
    pub(crate) fn set_learning_rate(&mut self, lr: f64) {
        match &mut self.rule {
            Rule::Sgd(o, _) => o.learning_rate = lr,
            Rule::Adam(o, _) => o.learning_rate = lr,
            Rule::AdamW(o, _) => o.learning_rate = lr,
            Rule::RmsProp(o, _) => o.learning_rate = lr,
            Rule::Adagrad(o, _) => o.learning_rate = lr,
        }
    }

    /// Steps taken so far (Keras's `optimizer.iterations`).
    pub(crate) fn iterations(&self) -> i64 {
        self.iterations
    }

    /// One update of every weight by its `.grad`, with the rule's formula.
    pub(crate) fn step(&mut self) {
        let lr = self.spec().learning_rate();
        let (t, params) = (self.iterations, &self.params);
        match &mut self.rule {
            Rule::Sgd(o, s) => s.step(o, lr, params),
            Rule::Adam(o, s) => s.step(o, lr, t, params),
            Rule::AdamW(o, s) => o.step(s, lr, t, params),
            Rule::RmsProp(o, s) => s.step(o, lr, params),
            Rule::Adagrad(o, s) => s.step(o, lr, params),
        }
        self.iterations += 1;
    }

    /// The rule's kinds of variables and the order Keras lists them in.
    fn slots(&mut self) -> (super::param::Order, Vec<&mut Slots>) {
        match &mut self.rule {
            Rule::Sgd(_, s) => s.slots(),
            Rule::Adam(_, s) | Rule::AdamW(_, s) => s.slots(),
            Rule::RmsProp(_, s) => s.slots(),
            Rule::Adagrad(_, s) => s.slots(),
        }
    }

    /// The weights Keras's optimizer would hold variables for: the trainable ones.
    fn live(&self) -> Vec<usize> {
        (0..self.params.len())
            .filter(|&i| self.params[i].tensor.requires_grad())
            .collect()
    }

    /// Keras's `optimizer.variables`: `iteration` (int64 scalar), `learning_rate` (float32
    /// scalar), then the rule's variables for every trainable weight, named
    /// `<weight>_<kind>` and ordered as Keras orders them, in Keras's layout. The
    /// rule's variables are views: writing to them changes the optimizer.
    pub(crate) fn variables(&mut self) -> Vec<(String, Tensor)> {
        let lr = self.spec().learning_rate();
        let mut out = vec![
            ("iteration".to_string(), Tensor::from(self.iterations)),
            (
                "learning_rate".to_string(),
                Tensor::from(lr as f32).to_kind(Kind::Float),
            ),
        ];
        let live = self.live();
        let params = std::mem::take(&mut self.params);
        {
            let (order, mut kinds) = self.slots();
            for (p, k) in keras_order(&order, kinds.len(), &live) {
                let slots = &mut kinds[k];
                let name = format!("{}_{}", params[p].name, slots.name);
                let view = params[p].keras_view(slots.at(p, &params[p]));
                out.push((name, view));
            }
        }
        self.params = params;
        out
    }

    /// Sets the variables from `values`, in the order and layout of [`Self::variables`]:
    /// the step count, the learning rate and the rule's variables (Keras's
    /// `optimizer.set_weights`). Their number and shapes are checked first; nothing changes
    /// when one does not fit.
    pub(crate) fn set_variables(&mut self, values: &[Tensor]) -> Result<()> {
        let current = self.variables();
        let mismatch = |detail: String| Error::OptimizerStateMismatch { detail };
        if values.len() != current.len() {
            return Err(mismatch(format!(
                "the {} optimizer has {} variables (iteration, learning_rate and {} more for {} trainable weights), got {}",
                class_name(&self.spec()),
                current.len(),
                current.len() - 2,
                self.live().len(),
                values.len()
            )));
        }
        for ((name, have), v) in current.iter().zip(values) {
            if have.size() != v.size() {
                return Err(mismatch(format!(
                    "variable '{name}' has shape {:?}, got {:?}",
                    have.size(),
                    v.size()
                )));
            }
        }
        let number = |t: &Tensor| {
            t.to_device(Device::Cpu)
                .to_kind(Kind::Double)
                .double_value(&[])
        };
        let step = number(&values[0]);
        if !(step >= 0.0 && step.fract() == 0.0) {
            return Err(mismatch(format!(
                "variable 'iteration' must be a whole number >= 0, got {step}"
            )));
        }
        self.iterations = step as i64;
        // Keep the configured rate when the stored one is its float32 rounding.
        let lr = number(&values[1]);
        if lr as f32 != self.spec().learning_rate() as f32 {
            self.set_learning_rate(lr);
        }
        tch::no_grad(|| {
            for ((_, mut slot), v) in current.into_iter().skip(2).zip(&values[2..]) {
                slot.copy_(&v.to_device(slot.device()).to_kind(slot.kind()));
            }
        });
        Ok(())
    }
}

/// Keras's class name of the optimizer.
pub(crate) fn class_name(spec: &OptimizerSpec) -> &'static str {
    match spec {
        OptimizerSpec::SGD(_) => "SGD",
        OptimizerSpec::Adam(_) => "Adam",
        OptimizerSpec::AdamW(_) => "AdamW",
        OptimizerSpec::RMSprop(_) => "RMSprop",
        OptimizerSpec::Adagrad(_) => "Adagrad",
    }
}

/// Keras's default name of the optimizer (`adam`, `rm_sprop`, `adam_w`): its class name in
/// snake case, the name of its variables' group in Keras's files.
pub(crate) fn keras_name(spec: &OptimizerSpec) -> &'static str {
    match spec {
        OptimizerSpec::SGD(_) => "sgd",
        OptimizerSpec::Adam(_) => "adam",
        OptimizerSpec::AdamW(_) => "adam_w",
        OptimizerSpec::RMSprop(_) => "rm_sprop",
        OptimizerSpec::Adagrad(_) => "adagrad",
    }
}
