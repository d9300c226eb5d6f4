//! `class_weight` and `sample_weight` against Keras 3: the weighted loss of one batch in
//! `fit` and `evaluate`, and the SGD step it drives, from the same weights and data; compile's
//! weighted metrics beside plain ones over several batches (tests/keras_reference/
//! weighted_loss.py runs Keras with the venv's Python).

mod common;

use common::KerasOutput;
use ferrokeras::prelude::*;
use std::collections::BTreeMap;

fn keras() -> KerasOutput {
    KerasOutput::of("weighted_loss.py", "weighted.npz")
}

/// The classifier's four weights under `prefix` (`w` before training).
fn weights(k: &KerasOutput, prefix: &str) -> Vec<Tensor> {
    k.numbered(prefix, 4)
}

/// The loss Keras printed under `name`.
fn loss(k: &KerasOutput, name: &str) -> f64 {
    k.printed[name].as_f64().unwrap()
}

fn assert_close(what: &str, ours: f64, keras: f64) {
    println!("{what}: ferrokeras {ours:.8}, Keras {keras:.8}");
    assert!(
        (ours - keras).abs() < 1e-6,
        "{what}: {ours} against Keras {keras}"
    );
}

/// The script's classifier (Dense 5 relu, Dense 3 softmax on 4 inputs) with SGD at 0.5, Keras's
/// initial weights, compiled with `loss` and `metrics`.
fn classifier(k: &KerasOutput, loss: &str, metrics: impl Into<Metrics>) -> Model {
    let model = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(5).activation("relu"))
        .add(Dense::new(3).activation("softmax"));
    let sgd = SGD {
        learning_rate: 0.5,
        ..Default::default()
    };
    model.compile(sgd, loss, metrics).unwrap();
    model.set_weights(&weights(k, "w")).unwrap();
    model.into()
}

/// Silent `evaluate` options in batches of `batch_size`, with these sample weights.
fn quiet_evaluate(batch_size: usize, sample_weight: Option<&Tensor>) -> Evaluate<'_> {
    Evaluate {
        batch_size,
        verbose: 0,
        sample_weight,
        ..Default::default()
    }
}

/// Every value Keras logged under `section` (names and numbers) against ours.
fn assert_logs_match(section: &str, ours: &BTreeMap<String, f64>, k: &KerasOutput) {
    let theirs = k.printed[section].as_object().unwrap();
    let names = |it: Vec<&String>| it.into_iter().cloned().collect::<Vec<_>>();
    let mut keras_names = names(theirs.keys().collect());
    keras_names.sort();
    assert_eq!(
        names(ours.keys().collect()),
        keras_names,
        "{section}: names"
    );
    for (name, v) in theirs {
        assert_close(
            &format!("{section}: {name}"),
            ours[name],
            v.as_f64().unwrap(),
        );
    }
}

#[test]
fn weighted_metrics_match_keras() {
    let k = keras();
    let (x, y, sw) = (k.get("x"), k.get("y"), k.get("sw"));
    let onehot = y.one_hot(3).to_kind(Kind::Float);
    let metrics = Metrics::from(["accuracy", "mse"]).weighted(["accuracy", "mse", "mae"]);
    let model = classifier(&k, "categorical_crossentropy", metrics);
    let ev = model
        .evaluate(&x, &onehot, quiet_evaluate(3, Some(&sw)))
        .unwrap();
    assert_logs_match("weighted_metrics_evaluate", &ev.values, &k);

    let fit = Fit {
        batch_size: 3,
        shuffle: false,
        verbose: 0,
        sample_weight: Some(&sw),
        ..Default::default()
    };
    let history = model.fit(&x, &onehot, fit).unwrap();
    let first_epoch = history
        .keys()
        .into_iter()
        .map(|name| (name.to_string(), history[name][0]))
        .collect();
    assert_logs_match("weighted_metrics_fit", &first_epoch, &k);

    // Without sample weights a weighted metric is the plain one.
    model.set_weights(&weights(&k, "w")).unwrap();
    let ev = model
        .evaluate(&x, &onehot, quiet_evaluate(3, None))
        .unwrap();
    assert_eq!(ev["weighted_accuracy"], ev["accuracy"]);
    assert!((ev["weighted_mse"] - ev["mse"]).abs() < 1e-7);

    // Saved and loaded, the model keeps its weighted metrics.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weighted.keras");
    model.save(&path).unwrap();
    let loaded = load_model(&path).unwrap();
    let again = loaded
        .evaluate(&x, &onehot, quiet_evaluate(3, Some(&sw)))
        .unwrap();
    assert_logs_match("weighted_metrics_evaluate", &again.values, &k);

    // evaluate's list is in compile order, as Keras's (loss, mse, accuracy; not alphabetical).
    let model = classifier(&k, "categorical_crossentropy", ["mse", "accuracy"]);
    let ev = model
        .evaluate(&x, &onehot, quiet_evaluate(8, None))
        .unwrap();
    let theirs = k.printed["evaluate_list_mse_accuracy"].as_array().unwrap();
    assert_eq!(ev.to_vec().len(), theirs.len());
    for (i, (ours, theirs)) in ev.to_vec().iter().zip(theirs).enumerate() {
        assert_close(
            &format!("evaluate list [{i}]"),
            *ours,
            theirs.as_f64().unwrap(),
        );
    }
}

#[test]
fn weighted_losses_and_steps_match_keras() {
    let k = keras();
    let (x, y, sw) = (k.get("x"), k.get("y"), k.get("sw"));
    let model = classifier(&k, "sparse_categorical_crossentropy", ["accuracy"]);
    let init = weights(&k, "w");
    let one_step = |name: &str, fit: Fit| {
        model.set_weights(&init).unwrap();
        let fit = Fit {
            batch_size: 8,
            shuffle: false,
            verbose: 0,
            ..fit
        };
        let history = model.fit(&x, &y, fit).unwrap();
        assert_close(
            &format!("{name}: loss of the batch"),
            history["loss"][0],
            loss(&k, name),
        );
        for (i, (ours, theirs)) in model
            .get_weights()
            .iter()
            .zip(weights(&k, &format!("{name}_after")))
            .enumerate()
        {
            let diff = (ours - theirs).abs().max().double_value(&[]);
            assert!(
                diff < 1e-6,
                "{name}: weight {i} after the step differs from Keras's by {diff}"
            );
        }
    };
    one_step("unweighted", Fit::default());
    let class_weight = BTreeMap::from([(0, 1.0), (1, 2.5), (2, 0.5)]);
    one_step(
        "class_weight",
        Fit {
            class_weight: Some(class_weight.clone()),
            ..Default::default()
        },
    );
    one_step(
        "sample_weight",
        Fit {
            sample_weight: Some(&sw),
            ..Default::default()
        },
    );

    model.set_weights(&init).unwrap();
    let ev = model
        .evaluate(&x, &y, quiet_evaluate(8, Some(&sw)))
        .unwrap();
    assert_close(
        "evaluate with sample_weight",
        ev.loss(),
        loss(&k, "evaluate_sample_weight"),
    );

    // Both at once is Keras's error too; a weight per example is checked.
    let both = Fit {
        sample_weight: Some(&sw),
        class_weight: Some(class_weight),
        verbose: 0,
        ..Default::default()
    };
    assert!(model.fit(&x, &y, both).is_err());
    let short = sw.narrow(0, 0, 5);
    let bad = Fit {
        sample_weight: Some(&short),
        verbose: 0,
        ..Default::default()
    };
    assert!(model.fit(&x, &y, bad).is_err());
}
