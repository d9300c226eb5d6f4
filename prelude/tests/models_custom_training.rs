//! Custom training against Keras 3: the guides "Writing a training loop from scratch"
//! (GradientTape, Optimizer::apply_gradients, metrics' update_state/result/reset_state) and
//! "Customizing what happens in fit()" (an overridden train step), on a small MNIST split.
//!
//! tests/keras_reference/training_loops.py runs both guides in Keras (torch backend, the
//! venv's Python) and writes the data split and each model's initial weights; here the same
//! loops run in Rust from the same weights on the same batches, and must reach Keras's
//! accuracies within 1 point. Keras's results are kept in the target directory and made again
//! when the script changes.

mod common;

use ferrokeras::callbacks::EpochLogs;
use ferrokeras::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

const SCRIPT: &str = "training_loops.py";
const EPOCHS: usize = 2;
const BATCH: i64 = 32;

/// Keras's results and files: `(directory, results)`.
fn keras() -> (PathBuf, Value) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("training_loops");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/keras_reference")
        .join(SCRIPT);
    let script = std::fs::read(script).unwrap();
    let results = dir.join("results.json");
    let made_by = std::fs::read(dir.join(SCRIPT)).ok();
    if !results.is_file() || made_by.as_ref() != Some(&script) {
        std::fs::create_dir_all(&dir).unwrap();
        let mnist = common::datasets_dir().join("mnist");
        let out = common::run_keras(SCRIPT, &[dir.to_str().unwrap(), mnist.to_str().unwrap()]);
        std::fs::write(&results, out).unwrap();
        std::fs::write(dir.join(SCRIPT), script).unwrap();
    }
    let text = std::fs::read_to_string(results).unwrap();
    (dir, serde_json::from_str(&text).unwrap())
}

/// The split Keras trained on: `(x_train, y_train, x_test, y_test)`, pixels in [0, 1].
fn data(dir: &std::path::Path) -> (Tensor, Tensor, Tensor, Tensor) {
    let arrays = load_npz(dir.join("data.npz")).unwrap();
    let get = |k: &str| {
        arrays
            .iter()
            .find(|(n, _)| n == k)
            .unwrap()
            .1
            .shallow_clone()
    };
    let x = get("images").to_kind(Kind::Float) / 255.0;
    let y = get("labels");
    let n = x.size()[0];
    let n_test = 2000;
    (
        x.narrow(0, 0, n - n_test),
        y.narrow(0, 0, n - n_test),
        x.narrow(0, n - n_test, n_test),
        y.narrow(0, n - n_test, n_test),
    )
}

/// The guides' model, with Keras's initial weights.
fn get_model(dir: &std::path::Path, run: &str) -> Model {
    let inputs = Input::with_name([784], "digits");
    let x1 = Dense::new(64).activation("relu").call(&inputs).unwrap();
    let x2 = Dense::new(64).activation("relu").call(&x1).unwrap();
    let outputs = Dense::new(10).name("predictions").call(&x2).unwrap();
    let model = Model::new(&inputs, &outputs).unwrap();
    let init = load_npz(dir.join(format!("{run}_init.npz"))).unwrap();
    let weights: Vec<Tensor> = (0..init.len())
        .map(|i| {
            let key = format!("w{i}");
            init.iter()
                .find(|(n, _)| *n == key)
                .unwrap()
                .1
                .shallow_clone()
        })
        .collect();
    model.set_weights(&weights).unwrap();
    model
}

fn test_accuracy(model: &Model, x_test: &Tensor, y_test: &Tensor) -> f64 {
    let logits = model.predict(x_test).unwrap();
    let hits = logits.argmax(-1, false).eq_tensor(y_test);
    hits.to_kind(Kind::Float)
        .mean(Kind::Float)
        .double_value(&[])
}

fn close(what: &str, ours: f64, keras: f64) {
    println!("{what}: ferrokeras {ours:.4}, Keras {keras:.4}");
    assert!(
        (ours - keras).abs() <= 0.01,
        "{what}: ferrokeras {ours:.4} against Keras {keras:.4}, more than 1 point apart"
    );
}

#[test]
fn guides_training_loop_from_scratch_and_custom_train_step_match_keras() {
    let (dir, keras) = keras();
    let (x_train, y_train, x_test, y_test) = data(&dir);

    // "Writing a training loop from scratch".
    let model = get_model(&dir, "scratch");
    let optimizer = Optimizer::new(Adam {
        learning_rate: 1e-3,
        ..Default::default()
    })
    .unwrap();
    let loss_fn = CategoricalCrossentropy::new().from_logits(true);
    let train_acc_metric = CategoricalAccuracy::new();
    let y_train_1hot = to_categorical(&y_train, Some(10)).unwrap();
    let n = x_train.size()[0];
    let mut first_loss = None;
    let mut train_acc = Vec::new();
    for _epoch in 0..EPOCHS {
        for start in (0..n).step_by(BATCH as usize) {
            let len = BATCH.min(n - start);
            let (inputs, targets) = (
                x_train.narrow(0, start, len),
                y_train_1hot.narrow(0, start, len),
            );
            let tape = GradientTape::new();
            let logits = model.call_training(&inputs).unwrap();
            let loss_value = loss_fn.compute(&logits, &targets).unwrap();
            first_loss.get_or_insert(loss_value.double_value(&[]));
            let weights = model.trainable_weights();
            let grads = tape.gradient(&loss_value, &weights).unwrap();
            optimizer.apply_gradients(&grads, &weights).unwrap();
            train_acc_metric.update_state(&targets, &logits);
        }
        train_acc.push(train_acc_metric.result());
        train_acc_metric.reset_state();
    }
    let k = &keras["scratch"];
    let k_first = k["first_loss"].as_f64().unwrap();
    assert!(
        (first_loss.unwrap() - k_first).abs() < 1e-4,
        "same start: {first_loss:?} against {k_first}"
    );
    for (e, ours) in train_acc.iter().enumerate() {
        close(
            &format!("scratch: training accuracy, epoch {}", e + 1),
            *ours,
            k["train_acc"][e].as_f64().unwrap(),
        );
    }
    close(
        "scratch: test accuracy",
        test_accuracy(&model, &x_test, &y_test),
        k["test_acc"].as_f64().unwrap(),
    );

    // "Customizing what happens in fit()": the guide's train step, with the compiled loss and
    // optimizer, and metrics of its own that fit resets each epoch.
    struct CustomStep {
        loss_tracker: Mean,
        accuracy: MeanMetricWrapper,
    }
    impl TrainStep for CustomStep {
        fn train_step(&mut self, data: &mut StepContext) -> Result<EpochLogs> {
            let tape = GradientTape::new();
            let y_pred = data.call_training()?;
            let loss = data.compute_loss(&y_pred)?;
            let weights = data.model().trainable_weights();
            let gradients = tape.gradient(&loss, &weights)?;
            data.apply_gradients(&gradients, &weights)?;
            self.loss_tracker.update_state(&loss);
            self.accuracy.update_state(data.y(), &y_pred);
            Ok(EpochLogs::from([
                ("loss".to_string(), self.loss_tracker.result()),
                ("accuracy".to_string(), self.accuracy.result()),
            ]))
        }
        fn reset_metrics(&mut self) {
            self.loss_tracker.reset_state();
            self.accuracy.reset_state();
        }
    }
    let model = get_model(&dir, "custom_fit");
    let adam = Adam {
        learning_rate: 1e-3,
        ..Default::default()
    };
    let loss = SparseCategoricalCrossentropy::new().from_logits(true);
    model.compile(adam, loss, ["accuracy"]).unwrap();
    let step = CustomStep {
        loss_tracker: Mean::new("loss"),
        accuracy: SparseCategoricalAccuracy::new(),
    };
    let fit = Fit {
        epochs: EPOCHS,
        batch_size: BATCH as usize,
        shuffle: false,
        verbose: 0,
        ..Default::default()
    };
    let history = model.fit(&x_train, &y_train, fit.train_step(step)).unwrap();
    let k = &keras["custom_fit"];
    for e in 0..EPOCHS {
        close(
            &format!("custom step: accuracy, epoch {}", e + 1),
            history["accuracy"][e],
            k["accuracy"][e].as_f64().unwrap(),
        );
        let (ours, theirs) = (history["loss"][e], k["loss"][e].as_f64().unwrap());
        assert!(
            (ours - theirs).abs() < 0.01,
            "custom step: loss {ours} against Keras {theirs}"
        );
    }
    close(
        "custom step: test accuracy",
        test_accuracy(&model, &x_test, &y_test),
        k["test_acc"].as_f64().unwrap(),
    );
}
