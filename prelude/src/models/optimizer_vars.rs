//! The compiled optimizer's variables, as Keras's `model.optimizer.variables`, and where
//! Keras's files keep them: `optimizer/vars/0…N` in Keras 3's weights layout (the
//! `model.weights.h5` of a `.keras` archive, `x.weights.h5`), and `optimizer_weights` in a
//! legacy whole-model `.h5`. Keras lists them as `iteration` (int), `learning_rate`, then the
//! rule's variables for each trainable weight in `model.trainable_variables` order.

use super::compiled::SharedState;
use super::h5_writer::H5Tree;
use super::hdf5_file::H5;
use super::model::Model;
use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::optimizers::OptimizerState;
use crate::optimizers::{copies, keras_name, KerasLayout, OptimizerSpec, Param};
use std::cell::RefMut;
use std::rc::Rc;
use tch::Tensor;

impl Model {
    /// The weights the compiled optimizer updates, in Keras's `trainable_variables` order,
    /// each with its Keras name (`sequential_dense_kernel`) and layout.
    pub(crate) fn optimizer_params(&self) -> Vec<Param> {
        let params = self.params();
        let mut named = Vec::new();
        keras_weights(&format!("{}_", self.name()), &self.layers(), &mut named);
        let mut used = vec![false; params.len()];
        let mut out = Vec::with_capacity(params.len());
        for (name, w) in named {
            let found = params
                .iter()
                .position(|p| p.data_ptr() == w.data_ptr() && p.numel() == w.numel());
            let Some(i) = found.filter(|&i| !used[i]) else {
                continue;
            };
            used[i] = true;
            let p = &params[i];
            let layout = (w.size() != p.size() || w.stride() != p.stride()).then(|| KerasLayout {
                size: w.size(),
                stride: w.stride(),
                offset: w.storage_offset() - p.storage_offset(),
            });
            out.push(Param {
                tensor: p.shallow_clone(),
                name,
                layout,
            });
        }
        // A tensor no layer lists as a weight (none today) still trains.
        for (i, p) in params.iter().enumerate().filter(|(i, _)| !used[*i]) {
            out.push(Param::plain(p.shallow_clone(), format!("variable_{i}")));
        }
        out
    }

    /// The compiled optimizer's variables, copied, as Keras's `model.optimizer.variables`:
    /// `iteration` (int64 scalar: steps taken), `learning_rate` (float32 scalar), then the
    /// rule's variables for each trainable weight, named and ordered as Keras does
    /// (Adam: `sequential_dense_kernel_momentum`, `sequential_dense_kernel_velocity`, …; RMSprop:
    /// every `velocity`, then every `momentum`, then every `average_gradient`), in Keras's
    /// layout. Before the first training step only the first two, as Keras's optimizer has
    /// before it is built.
    ///
    /// ```
    /// use ferrokeras::prelude::*;
    /// # fn main() -> ferrokeras::Result<()> {
    /// let model = Sequential::new().add(Input::new([3])).add(Dense::new(2));
    /// model.compile("adam", "mse", ())?;
    /// model.fit(&Tensor::ones([4, 3], (Kind::Float, Device::Cpu)),
    ///           &Tensor::ones([4, 2], (Kind::Float, Device::Cpu)),
    ///           Fit { verbose: 0, ..Default::default() })?;
    /// let vars = model.optimizer_variables()?;
    /// let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
    /// assert_eq!(names[..4], ["iteration", "learning_rate",
    ///     "sequential_dense_kernel_momentum", "sequential_dense_kernel_velocity"]);
    /// assert_eq!(vars[0].1.int64_value(&[]), 1); // one step
    /// assert_eq!(vars[2].1.size(), vec![3, 2]); // Keras's (in, units)
    /// # Ok(())
    /// # }
    /// ```
    pub fn optimizer_variables(&self) -> Result<Vec<(String, Tensor)>> {
        let lr = self.learning_rate()?;
        let shared = self.shared_state()?;
        let mut state = borrow(&shared)?;
        Ok(match state.as_mut() {
            Some(s) => copies(s.variables()),
            None => vec![
                ("iteration".into(), Tensor::from(0i64)),
                ("learning_rate".into(), Tensor::from(lr as f32)),
            ],
        })
    }

    /// Sets the compiled optimizer's variables from values in
    /// [`Model::optimizer_variables`]'s order and layout (as a trained optimizer has them),
    /// binding the optimizer to the weights if no training step did yet: training then
    /// continues from them. The learning rate becomes the given one. A count or a shape that
    /// does not fit is [`Error::OptimizerStateMismatch`], naming the variable; nothing changes
    /// then.
    pub fn set_optimizer_variables(&self, values: &[Tensor]) -> Result<()> {
        let params = self.optimizer_params();
        let spec = self.compiled_spec()?;
        let shared = self.shared_state()?;
        let mut state = borrow(&shared)?;
        let st = state.get_or_insert_with(|| spec.bind(params));
        st.set_variables(values)?;
        let lr = st.spec().learning_rate();
        drop(state);
        if lr != self.learning_rate()? {
            self.set_learning_rate(lr)?;
        }
        Ok(())
    }

    fn compiled_spec(&self) -> Result<OptimizerSpec> {
        let s = self.0.borrow();
        s.compiled.as_ref().map(|c| c.spec).ok_or_else(|| {
            Error::NotReady(format!(
                "model '{}' has no optimizer: call model.compile(optimizer, loss, metrics) first",
                s.name
            ))
        })
    }

    /// The compiled optimizer's state, shared with a running `fit` (`None` before it is
    /// bound).
    fn shared_state(&self) -> Result<SharedState> {
        self.compiled_spec()?;
        Ok(Rc::clone(
            &self.0.borrow().compiled.as_ref().expect("compiled").state,
        ))
    }
}

/// The state borrowed for reading or writing.
fn borrow(shared: &SharedState) -> Result<RefMut<'_, Option<OptimizerState>>> {
    shared.try_borrow_mut().map_err(|_| {
        Error::NotReady(
            "the optimizer's variables cannot be read or set during its own update step".into(),
        )
    })
}

/// The trainable weights of `layers` with Keras's names for them (a variable's path with
/// `_` for `/`: `sequential_dense_kernel`), nested models' in turn, in Keras's
/// `trainable_variables` order.
fn keras_weights(prefix: &str, layers: &[Layer], out: &mut Vec<(String, Tensor)>) {
    for layer in layers {
        let here = format!("{prefix}{}_", layer.name());
        match layer.sublayers() {
            Some(inner) => keras_weights(&here, &inner, out),
            None => out.extend(
                layer
                    .named_weights()
                    .into_iter()
                    .filter(|w| w.trainable)
                    .map(|w| (format!("{here}{}", w.name), w.value)),
            ),
        }
    }
}

/// An optimizer and its variables.
type Variables = (OptimizerSpec, Vec<(String, Tensor)>);

/// The compiled optimizer's variables to save, `None` for a model not compiled.
fn saved_variables(model: &Model) -> Result<Option<Variables>> {
    if !model.is_compiled() {
        return Ok(None);
    }
    Ok(Some((model.compiled_spec()?, model.optimizer_variables()?)))
}

/// Writes the compiled optimizer's variables where Keras 3 writes them in its weights layout:
/// `optimizer/vars/<i>`, the group named after the optimizer (`adam`).
pub(crate) fn write_keras3(root: &mut H5Tree, model: &Model) -> Result<()> {
    let Some((spec, vars)) = saved_variables(model)? else {
        return Ok(());
    };
    let g = root.group("optimizer/vars");
    g.attr_str("name", keras_name(&spec));
    for (i, (_, t)) in vars.iter().enumerate() {
        write_variable(g, &i.to_string(), i, t);
    }
    Ok(())
}

/// Writes the compiled optimizer's variables as Keras's legacy `.h5` does: under
/// `optimizer_weights`, named `<optimizer>/<variable>` and listed in `weight_names`.
pub(crate) fn write_legacy(root: &mut H5Tree, model: &Model) -> Result<()> {
    let Some((spec, vars)) = saved_variables(model)? else {
        return Ok(());
    };
    let g = root.group("optimizer_weights");
    let names: Vec<String> = vars
        .iter()
        .map(|(n, _)| format!("{}/{n}", keras_name(&spec)))
        .collect();
    for (i, ((_, t), name)) in vars.iter().zip(&names).enumerate() {
        write_variable(g, name, i, t);
    }
    g.attr_strings("weight_names", names);
    Ok(())
}

/// Variable `i` at `path`: the step count as Keras's torch backend stores it (int32), the
/// others float32.
fn write_variable(g: &mut H5Tree, path: &str, i: usize, t: &Tensor) {
    if i == 0 {
        g.scalar_i32(
            path,
            t.int64_value(&[]).clamp(0, i64::from(i32::MAX)) as i32,
        );
    } else {
        g.dataset(path, t);
    }
}

/// Restores the optimizer's variables of a Keras 3 weights file into the compiled `model`
/// (`optimizer/vars/<i>`); nothing for a model not compiled or a file without them.
pub(crate) fn restore_keras3(model: &Model, h5: &H5) -> Result<()> {
    let root = h5.group("/")?;
    if !model.is_compiled() || !h5.has_group(&root, "optimizer") {
        return Ok(());
    }
    let g = h5.group("/optimizer/vars")?;
    let (_, datasets) = h5.members(&g)?;
    let values = (0..datasets.len())
        .map(|i| h5.numbers(&format!("/optimizer/vars/{i}")))
        .collect::<Result<Vec<_>>>()?;
    restore(model, h5, &values)
}

/// Restores the optimizer's variables of a legacy whole-model `.h5` (`optimizer_weights`).
pub(crate) fn restore_legacy(model: &Model, h5: &H5) -> Result<()> {
    let root = h5.group("/")?;
    if !model.is_compiled() || !h5.has_group(&root, "optimizer_weights") {
        return Ok(());
    }
    let g = h5.group("/optimizer_weights")?;
    let names = h5.strings_attr(&g, "weight_names")?.unwrap_or_default();
    let values = names
        .iter()
        .map(|n| h5.numbers(&format!("/optimizer_weights/{n}")))
        .collect::<Result<Vec<_>>>()?;
    restore(model, h5, &values)
}

/// Sets `values` as the optimizer's variables. As Keras: an optimizer saved before its first
/// step (only `iteration` and `learning_rate`) leaves the optimizer fresh, and variables
/// that do not fit are skipped with a warning, the model loading with a fresh optimizer.
fn restore(model: &Model, h5: &H5, values: &[Tensor]) -> Result<()> {
    if values.len() <= 2 {
        return Ok(());
    }
    match model.set_optimizer_variables(values) {
        Ok(()) => Ok(()),
        Err(Error::OptimizerStateMismatch { detail }) => {
            eprintln!(
                "{}: skipping the optimizer's saved variables, training starts with a fresh optimizer: {detail}",
                h5.path.display()
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    fn model() -> Model {
        let inputs = Input::new([3]);
        let h = Dense::new(4).name("hidden").call(&inputs).unwrap();
        let out = Dense::new(1).name("out").call(&h).unwrap();
        let model = Model::new(&inputs, &out).unwrap();
        model.set_name("net");
        model
    }

    #[test]
    fn names_shapes_and_order_are_keras() {
        let m = model();
        let rms = RMSprop {
            momentum: 0.5,
            ..Default::default()
        };
        m.compile(rms, "mse", ()).unwrap();
        let x = Tensor::ones([2, 3], (Kind::Float, Device::Cpu));
        let y = Tensor::ones([2, 1], (Kind::Float, Device::Cpu));
        m.train_on_batch(&x, &y).unwrap();
        let vars = m.optimizer_variables().unwrap();
        let names: Vec<&str> = vars.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "iteration",
                "learning_rate",
                "net_hidden_kernel_velocity",
                "net_hidden_bias_velocity",
                "net_out_kernel_velocity",
                "net_out_bias_velocity",
                "net_hidden_kernel_momentum",
                "net_hidden_bias_momentum",
                "net_out_kernel_momentum",
                "net_out_bias_momentum",
            ]
        );
        assert_eq!(vars[2].1.size(), vec![3, 4], "Keras's (in, units)");
        assert_eq!(vars[0].1.int64_value(&[]), 1);
    }

    #[test]
    fn setting_checks_count_and_shapes_and_round_trips() {
        let m = model();
        m.compile("adam", "mse", ()).unwrap();
        let vars = m.optimizer_variables().unwrap();
        assert_eq!(vars.len(), 2, "not built before a step, as Keras");
        let x = Tensor::ones([2, 3], (Kind::Float, Device::Cpu));
        let y = Tensor::ones([2, 1], (Kind::Float, Device::Cpu));
        m.train_on_batch(&x, &y).unwrap();
        let vars = m.optimizer_variables().unwrap();
        let err = m.set_optimizer_variables(&[]).unwrap_err();
        assert!(matches!(err, Error::OptimizerStateMismatch { .. }), "{err}");
        assert!(err.to_string().contains("has 10 variables"), "{err}");
        let mut values: Vec<Tensor> = vars.iter().map(|(_, t)| t.shallow_clone()).collect();
        values[2] = Tensor::zeros([4, 3], (Kind::Float, Device::Cpu));
        let err = m.set_optimizer_variables(&values).unwrap_err().to_string();
        assert!(
            err.contains("'net_hidden_kernel_momentum' has shape [3, 4], got [4, 3]"),
            "{err}"
        );
        // Values of another trained model carry over, Keras layout to Keras layout.
        let other = model();
        other.compile("adam", "mse", ()).unwrap();
        other.set_optimizer_variables(&values[..2]).unwrap_err();
        values[2] = Tensor::rand([3, 4], (Kind::Float, Device::Cpu));
        other.set_optimizer_variables(&values).unwrap();
        let got = other.optimizer_variables().unwrap();
        for ((n, a), b) in got.iter().zip(&values) {
            assert!(
                a.to_kind(Kind::Double).equal(&b.to_kind(Kind::Double)),
                "{n}"
            );
        }
    }
}
