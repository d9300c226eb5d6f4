//! The compile settings Keras stores with a model: Keras 3's `compile_config` (in a `.keras`
//! archive's `config.json`) and the legacy `.h5` file's `training_config`. Read back into the
//! prelude's [`Compiled`] so `fit` continues without a new `compile`, and written from it so
//! Keras's `load_model` compiles the model as the prelude had it.

use super::Compiled;
use crate::losses::{Loss, LossKind};
use crate::metrics::Metric;
use crate::optimizers::{Adagrad, Adam, AdamW, OptimizerSpec, RMSprop, SGD};
use serde_json::{json, Value};

type Res<T> = std::result::Result<T, String>;

/// Keras's serialised optimizer: `{"module", "class_name", "config", "registered_name"}`.
pub(crate) fn optimizer_to_keras(spec: &OptimizerSpec) -> Value {
    let (class, config) = match *spec {
        OptimizerSpec::SGD(o) => (
            "SGD",
            json!({"learning_rate": o.learning_rate, "momentum": o.momentum, "nesterov": o.nesterov}),
        ),
        OptimizerSpec::Adam(o) => (
            "Adam",
            json!({"learning_rate": o.learning_rate, "beta_1": o.beta_1, "beta_2": o.beta_2, "epsilon": o.epsilon}),
        ),
        OptimizerSpec::AdamW(o) => (
            "AdamW",
            json!({"learning_rate": o.learning_rate, "weight_decay": o.weight_decay, "beta_1": o.beta_1, "beta_2": o.beta_2, "epsilon": o.epsilon}),
        ),
        OptimizerSpec::RMSprop(o) => (
            "RMSprop",
            json!({"learning_rate": o.learning_rate, "rho": o.rho, "momentum": o.momentum, "epsilon": o.epsilon, "centered": o.centered}),
        ),
        OptimizerSpec::Adagrad(o) => (
            "Adagrad",
            json!({"learning_rate": o.learning_rate, "initial_accumulator_value": o.initial_accumulator_value, "epsilon": o.epsilon}),
        ),
    };
    json!({"module": "keras.optimizers", "class_name": class, "config": config, "registered_name": null})
}

/// The optimizer of a Keras config (a dict as above, or an id such as `"adam"`).
fn optimizer_from_keras(v: &Value) -> Res<OptimizerSpec> {
    if let Some(id) = v.as_str() {
        return crate::optimizers::OptimizerArg::from(id)
            .resolve()
            .map_err(|e| e.to_string());
    }
    let class = v["class_name"]
        .as_str()
        .ok_or("an optimizer without class_name")?;
    let c = &v["config"];
    let f = |key: &str, default: f64| -> Res<f64> {
        // Keras before 2.3 spelled the learning rate `lr`.
        let value = match &c[key] {
            Value::Null if key == "learning_rate" => &c["lr"],
            other => other,
        };
        match value {
            Value::Null => Ok(default),
            Value::Number(n) => n.as_f64().ok_or_else(|| format!("optimizer option {key}")),
            other => Err(format!(
                "{class} option {key} = {other} (the prelude takes a number)"
            )),
        }
    };
    let b = |key: &str| c[key].as_bool().unwrap_or(false);
    Ok(match class.to_lowercase().as_str() {
        "sgd" => {
            let d = SGD::default();
            OptimizerSpec::SGD(SGD {
                learning_rate: f("learning_rate", d.learning_rate)?,
                momentum: f("momentum", d.momentum)?,
                nesterov: b("nesterov"),
            })
        }
        "adam" | "adamw" if b("amsgrad") => {
            return Err(format!("{class} option amsgrad = true"));
        }
        "adam" => {
            let d = Adam::default();
            OptimizerSpec::Adam(Adam {
                learning_rate: f("learning_rate", d.learning_rate)?,
                beta_1: f("beta_1", d.beta_1)?,
                beta_2: f("beta_2", d.beta_2)?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        "adamw" => {
            let d = AdamW::default();
            OptimizerSpec::AdamW(AdamW {
                learning_rate: f("learning_rate", d.learning_rate)?,
                weight_decay: f("weight_decay", d.weight_decay)?,
                beta_1: f("beta_1", d.beta_1)?,
                beta_2: f("beta_2", d.beta_2)?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        "rmsprop" => {
            let d = RMSprop::default();
            OptimizerSpec::RMSprop(RMSprop {
                learning_rate: f("learning_rate", d.learning_rate)?,
                rho: f("rho", d.rho)?,
                momentum: f("momentum", d.momentum)?,
                epsilon: f("epsilon", d.epsilon)?,
                centered: b("centered"),
            })
        }
        "adagrad" => {
            let d = Adagrad::default();
            OptimizerSpec::Adagrad(Adagrad {
                learning_rate: f("learning_rate", d.learning_rate)?,
                initial_accumulator_value: f(
                    "initial_accumulator_value",
                    d.initial_accumulator_value,
                )?,
                epsilon: f("epsilon", d.epsilon)?,
            })
        }
        _ => return Err(format!("optimizer {class}")),
    })
}

/// Keras's class name for a loss (what a typed loss is serialised as).
fn loss_class(kind: LossKind) -> &'static str {
    match kind {
        LossKind::MeanSquaredError => "MeanSquaredError",
        LossKind::MeanAbsoluteError => "MeanAbsoluteError",
        LossKind::BinaryCrossentropy => "BinaryCrossentropy",
        LossKind::CategoricalCrossentropy => "CategoricalCrossentropy",
        LossKind::SparseCategoricalCrossentropy => "SparseCategoricalCrossentropy",
    }
}

fn loss_to_keras(l: &Loss) -> Value {
    if !l.from_logits {
        return json!(l.id());
    }
    json!({"module": "keras.losses", "class_name": loss_class(l.kind),
           "config": {"from_logits": true}, "registered_name": null})
}

fn loss_from_keras(v: &Value) -> Res<Loss> {
    let (id, c) = match v {
        Value::String(s) => (s.as_str(), &Value::Null),
        _ => (
            v["class_name"]
                .as_str()
                .ok_or("a loss without class_name")?,
            &v["config"],
        ),
    };
    let loss = Loss::parse(id).map_err(|e| e.to_string())?;
    Ok(loss.from_logits(c["from_logits"].as_bool().unwrap_or(false)))
}

/// The losses of `compile_config["loss"]`: one, a list (one per output) or a dict by output
/// name (in `outputs` order).
fn losses_from_keras(v: &Value, outputs: &[String]) -> Res<Vec<Loss>> {
    match v {
        Value::Array(a) => a.iter().map(loss_from_keras).collect(),
        Value::Object(o) if o.get("class_name").is_none() => outputs
            .iter()
            .map(|n| {
                loss_from_keras(
                    o.get(n)
                        .ok_or_else(|| format!("no loss for output '{n}'"))?,
                )
            })
            .collect(),
        _ => Ok(vec![loss_from_keras(v)?]),
    }
}

/// Metric ids of `compile_config["metrics"]`: a list of ids, or per output lists (the
/// prelude computes its metrics on every output, so their union).
fn metrics_from_keras(v: &Value) -> Res<Vec<Metric>> {
    let mut ids: Vec<String> = Vec::new();
    fn walk(v: &Value, ids: &mut Vec<String>) -> Res<()> {
        match v {
            Value::Null => {}
            Value::String(s) => ids.push(s.clone()),
            Value::Array(a) => a.iter().try_for_each(|x| walk(x, ids))?,
            Value::Object(o) if o.contains_key("class_name") => {
                let name = v["config"]["name"]
                    .as_str()
                    .or(v["class_name"].as_str())
                    .unwrap_or_default();
                ids.push(name.to_string());
            }
            Value::Object(o) => o.values().try_for_each(|x| walk(x, ids))?,
            _ => return Err(format!("a metric {v}")),
        }
        Ok(())
    }
    walk(v, &mut ids)?;
    ids.dedup();
    ids.iter()
        .map(|m| Metric::parse(m).map_err(|e| e.to_string()))
        .collect()
}

/// Keras 3's `compile_config` for what `compile` stored.
pub(crate) fn compile_config(c: &Compiled) -> Value {
    let loss = match c.losses.as_slice() {
        [one] => loss_to_keras(one),
        many => Value::Array(many.iter().map(loss_to_keras).collect()),
    };
    let ids = |ms: &[Metric]| -> Value {
        let ids: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
        if ids.is_empty() {
            Value::Null
        } else {
            json!(ids)
        }
    };
    json!({
        "optimizer": optimizer_to_keras(&c.spec),
        "loss": loss,
        "loss_weights": c.loss_weights,
        "metrics": ids(&c.metrics), "weighted_metrics": ids(&c.weighted_metrics),
        "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false,
    })
}

/// The legacy `.h5` file's `training_config` (the optimizer under `optimizer_config`).
pub(crate) fn training_config(c: &Compiled) -> Value {
    let mut t = compile_config(c);
    let opt = t["optimizer"].take();
    if let Some(o) = t.as_object_mut() {
        o.remove("optimizer");
    }
    t["optimizer_config"] = json!({"class_name": opt["class_name"], "config": opt["config"]});
    t
}

/// The compile settings of a Keras 3 `compile_config` or a legacy `training_config`, for a
/// model whose outputs have the names `outputs`. `Ok(None)`: the model was not compiled.
pub(crate) fn compiled_from_keras(v: &Value, outputs: &[String]) -> Res<Option<Compiled>> {
    let optimizer = match (&v["optimizer"], &v["optimizer_config"]) {
        (Value::Null, Value::Null) => return Ok(None),
        (Value::Null, o) | (o, _) => o,
    };
    if v["loss"].is_null() {
        return Ok(None);
    }
    let losses = losses_from_keras(&v["loss"], outputs)?;
    let loss_weights = match &v["loss_weights"] {
        Value::Null => None,
        Value::Array(a) => Some(
            a.iter()
                .map(|x| x.as_f64().ok_or_else(|| "a loss weight".to_string()))
                .collect::<Res<Vec<_>>>()?,
        ),
        Value::Object(o) => Some(
            outputs
                .iter()
                .map(|n| {
                    o.get(n)
                        .and_then(Value::as_f64)
                        .ok_or_else(|| "a loss weight".to_string())
                })
                .collect::<Res<Vec<_>>>()?,
        ),
        other => return Err(format!("loss_weights {other}")),
    };
    Ok(Some(Compiled::new(
        optimizer_from_keras(optimizer)?,
        losses,
        loss_weights,
        metrics_from_keras(&v["metrics"])?,
        metrics_from_keras(&v["weighted_metrics"])?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compile_settings_survive_keras_spelling() {
        let keras = json!({"optimizer": {"module": "keras.optimizers", "class_name": "Adam",
            "config": {"name": "adam", "learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7, "weight_decay": null},
            "registered_name": "Adam"}, "loss": "mse", "metrics": ["mae"], "weighted_metrics": ["mse"]});
        let c = compiled_from_keras(&keras, &["out".into()])
            .unwrap()
            .unwrap();
        let old = json!({"optimizer_config": {"class_name": "SGD", "config": {"lr": 0.2}},
                         "loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper", "config": {"name": "mae"}}]]});
        let o = compiled_from_keras(&old, &["out".into()]).unwrap().unwrap();
        assert_eq!(o.spec.learning_rate(), 0.2);
        assert_eq!(o.metrics[0].name, "mae");
        assert_eq!(
            c.spec,
            OptimizerSpec::Adam(Adam {
                learning_rate: 0.01,
                beta_1: 0.8,
                beta_2: 0.99,
                epsilon: 1e-7
            })
        );
        let again = compiled_from_keras(&compile_config(&c), &["out".into()])
            .unwrap()
            .unwrap();
        assert_eq!(c.weighted_metrics[0].name, "mse");
        assert_eq!(
            (again.spec, &again.losses, &again.metrics),
            (c.spec, &c.losses, &c.metrics)
        );
        assert_eq!(again.weighted_metrics, c.weighted_metrics);
        let legacy = training_config(&c);
        assert_eq!(legacy["optimizer_config"]["class_name"], "Adam");
        assert!(compiled_from_keras(&legacy, &["out".into()])
            .unwrap()
            .is_some());
    }
}
