//! Training behaviour: callbacks, saving, freezing, sharing, sub-models, search, errors.

mod common;

use common::{fit_quietly, quiet, same};
use ferrokeras::callbacks::EpochLogs;
use ferrokeras::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};

/// libtorch's generator is process-wide: tests that train run one at a time so seeds repeat.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A small separable binary problem.
fn blobs(n: i64, seed: i64) -> (Tensor, Tensor) {
    tch::manual_seed(seed);
    let x = Tensor::randn([n, 4], (Kind::Float, Device::Cpu));
    let y = x
        .sum_dim_intlist(1, false, Kind::Float)
        .gt(0.0)
        .to_kind(Kind::Float);
    (x, y)
}

fn small_model() -> Sequential {
    Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(8).activation("relu"))
        .add(Dense::new(1).activation("sigmoid"))
}

/// Counts the epochs it has seen through `on_history`.
struct HistoryLen(Rc<RefCell<Vec<usize>>>);
impl Callback for HistoryLen {
    fn on_history(&mut self, h: &History, _model: &Model) -> Result<()> {
        self.0.borrow_mut().push(h.epochs());
        Ok(())
    }
}

/// Records the weights at the end of each epoch.
struct Recorder(Rc<RefCell<Vec<Vec<Tensor>>>>);
impl Callback for Recorder {
    fn on_epoch_end(&mut self, _e: usize, _l: &mut EpochLogs, model: &Model) -> Result<()> {
        self.0.borrow_mut().push(model.get_weights());
        Ok(())
    }
}

#[test]
fn early_stopping_stops_and_restores_best_weights() {
    let _serial = serial();
    let (x, y) = blobs(64, 0);
    let model = small_model();
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    // In "max" mode a falling loss never improves after epoch 0: stop after patience 2.
    let es = Rc::new(RefCell::new(
        EarlyStopping::new("loss")
            .mode("max")
            .patience(2)
            .restore_best_weights(true),
    ));
    let history = model
        .fit(
            &x,
            &y,
            quiet(20)
                .callback(Recorder(seen.clone()))
                .callback(es.clone()),
        )
        .unwrap();
    assert_eq!(history.epochs(), 3);
    assert_eq!(es.borrow().stopped_epoch, Some(2));
    assert!(
        same(&model.get_weights(), &seen.borrow()[0]),
        "weights restored to epoch 1's"
    );
    assert!(!same(&model.get_weights(), &seen.borrow()[2]));
}

#[test]
fn model_checkpoint_keeps_the_best_file() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("best.safetensors");
    let (x, y) = blobs(64, 1);
    let model = small_model();
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let ckpt = ModelCheckpoint::new(&path)
        .monitor("val_loss")
        .mode("max")
        .save_best_only(true);
    let history = model
        .fit(
            &x,
            &y,
            Fit {
                validation_split: 0.25,
                ..quiet(4)
            }
            .callback(Recorder(seen.clone()))
            .callback(ckpt),
        )
        .unwrap();
    // With mode "max" on val_loss the kept file is the epoch with the highest val_loss.
    let val = &history["val_loss"];
    let worst = (0..val.len())
        .max_by(|&a, &b| val[a].total_cmp(&val[b]))
        .unwrap();
    let restored = load_model(&path).unwrap();
    assert!(same(&restored.get_weights(), &seen.borrow()[worst]));
    assert!(restored.predict(&x).unwrap().size() == vec![64, 1]);
}

#[test]
fn save_load_round_trips_and_mismatch_is_named() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = blobs(32, 2);
    let model = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(6).activation("tanh"))
        .add(BatchNormalization::new())
        .add(Dropout::new(0.2))
        .add(Dense::new(1).activation("sigmoid"));
    model
        .compile("sgd", "binary_crossentropy", ["accuracy"])
        .unwrap();
    fit_quietly(&model, &x, &y, 2);
    let before = model.predict(&x).unwrap();

    let whole = dir.path().join("model.safetensors");
    model.save(&whole).unwrap();
    let loaded = load_model(&whole).unwrap();
    assert!(loaded.predict(&x).unwrap().equal(&before));

    let weights = dir.path().join("w.safetensors");
    model.save_weights(&weights).unwrap();
    let twin = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(6).activation("tanh"))
        .add(BatchNormalization::new())
        .add(Dropout::new(0.2))
        .add(Dense::new(1).activation("sigmoid"));
    twin.load_weights(&weights).unwrap();
    assert!(twin.predict(&x).unwrap().equal(&before));

    let other = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(7))
        .add(Dense::new(1));
    let err = other.load_weights(&weights).unwrap_err().to_string();
    assert!(
        err.contains("layers.0.kernel") && err.contains("[4, 6]") && err.contains("[4, 7]"),
        "{err}"
    );
    assert!(load_model(&weights)
        .unwrap_err()
        .to_string()
        .contains("weights only"));
}

#[test]
fn frozen_layers_do_not_change_during_fit() {
    let _serial = serial();
    let (x, y) = blobs(64, 3);
    let model = small_model();
    let first = model.get_layer(0).unwrap();
    first.set_trainable(false);
    assert_eq!(model.summary().non_trainable_params, 40);
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let frozen_before = first.get_weights();
    let head_before = model.get_layer(1).unwrap().get_weights();
    fit_quietly(&model, &x, &y, 3);
    assert!(same(&first.get_weights(), &frozen_before));
    assert!(!same(
        &model.get_layer(1).unwrap().get_weights(),
        &head_before
    ));
    // Unfreezing (fine-tuning) lets it train again.
    model.set_trainable(true);
    fit_quietly(&model, &x, &y, 1);
    assert!(!same(&first.get_weights(), &frozen_before));
}

#[test]
fn shared_layers_change_together() {
    let _serial = serial();
    tch::manual_seed(4);
    let x = Tensor::rand([64, 20], (Kind::Float, Device::Cpu));
    let autoencoder = Sequential::new()
        .add(Dense::new(8).activation("relu").input_shape([20]))
        .add(Dense::new(20).activation("sigmoid"));
    autoencoder
        .compile("adam", "binary_crossentropy", ())
        .unwrap();
    let encoder = Sequential::new().add(autoencoder.layers()[0].clone());
    let code_before = encoder.predict(&x).unwrap();
    fit_quietly(&autoencoder, &x, &x, 2);
    let code_after = encoder.predict(&x).unwrap();
    assert_eq!(code_after.size(), vec![64, 8]);
    assert!(!code_after.equal(&code_before));
    assert!(encoder.get_weights()[0].equal(&autoencoder.get_weights()[0]));
}

#[test]
fn sub_model_and_activations_from_inner_layers() {
    let _serial = serial();
    let model = Sequential::new()
        .add(Input::new([8, 8, 1]))
        .add(Conv2D::new(4, 3).activation("relu"))
        .add(MaxPooling2D::new(2))
        .add(Flatten::new())
        .add(Dense::new(2).activation("softmax"));
    let x = Tensor::rand([3, 8, 8, 1], (Kind::Float, Device::Cpu));
    let first = Model::new(
        &model.input().unwrap(),
        &model.layers()[0].output().unwrap(),
    )
    .unwrap();
    let fmap = first.predict(&x).unwrap();
    assert_eq!(fmap.size(), vec![3, 6, 6, 4]);
    let acts = model.activations(&x).unwrap();
    assert_eq!(acts.len(), 4);
    assert_eq!(acts[0].0, model.layers()[0].name());
    assert!(acts[0].1.equal(&fmap));
    assert!(acts[3]
        .1
        .allclose(&model.predict(&x).unwrap(), 1e-6, 1e-6, false));
    // Calling a layer directly on a tensor (K.function-like) gives the same map.
    let direct = model.layers()[0].call(&x).unwrap();
    assert!(direct.allclose(&fmap, 1e-6, 1e-6, false));
}

#[test]
fn fit_continues_and_is_repeatable_with_a_seed() {
    let _serial = serial();
    let (x, y) = blobs(128, 5);
    let run = || {
        set_random_seed(11);
        let model = small_model();
        model
            .compile(
                SGD {
                    learning_rate: 0.1,
                    momentum: 0.9,
                    ..Default::default()
                },
                "binary_crossentropy",
                ["accuracy"],
            )
            .unwrap();
        let h1 = fit_quietly(&model, &x, &y, 3);
        let h2 = fit_quietly(&model, &x, &y, 3);
        (h1, h2)
    };
    let (a1, a2) = run();
    let (b1, b2) = run();
    assert_eq!(a1, b1);
    let lens = Rc::new(RefCell::new(Vec::new()));
    let model = small_model();
    model.compile("adam", "binary_crossentropy", ()).unwrap();
    model
        .fit(&x, &y, quiet(3).callback(HistoryLen(lens.clone())))
        .unwrap();
    assert_eq!(*lens.borrow(), vec![1, 2, 3]);
    assert_eq!(a2, b2);
    assert!(
        a2["loss"][0] < a1["loss"][0],
        "second fit continues from trained weights"
    );
    assert!(a2["accuracy"][2] > 0.8);
}

#[test]
fn errors_before_training_are_clear() {
    let _serial = serial();
    let (x, y) = blobs(16, 6);
    let model = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(3).activation("softmax"));
    let err = model.fit(&x, &y, Fit::default()).unwrap_err().to_string();
    assert!(err.contains("must be compiled"), "{err}");
    model
        .compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        .unwrap();
    let bad = Tensor::from_slice(&[5i64]).repeat([16]);
    let err = model.fit(&x, &bad, Fit::default()).unwrap_err().to_string();
    assert!(err.contains("labels must be in [0, 3)"), "{err}");
    let err = model
        .fit(&x, &y.narrow(0, 0, 10), Fit::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("x has 16, y has 10"), "{err}");
    let err = model
        .fit(&x.narrow(1, 0, 3), &y, Fit::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("expects last axis 4, got input of shape (None, 3)"),
        "{err}"
    );
    assert!(model
        .compile("adam", "crossentropy", ())
        .unwrap_err()
        .to_string()
        .contains("valid ids"));
}

#[test]
fn validation_data_and_sources() {
    let _serial = serial();
    let (x, y) = blobs(80, 7);
    let (vx, vy) = blobs(20, 8);
    let model = small_model();
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let h = model
        .fit(
            &x,
            &y,
            Fit {
                validation_data: Some((&vx, &vy).into()),
                ..quiet(2)
            },
        )
        .unwrap();
    assert_eq!(
        h.keys(),
        vec!["accuracy", "loss", "val_accuracy", "val_loss"]
    );
    let ev = model.evaluate_with(&vx, &vy, 8, 0).unwrap();
    assert!((ev.loss() - h["val_loss"][1]).abs() < 1e-5);
    let source = ferrokeras::data_adapter::TensorData::new(&x, Some(&y)).unwrap();
    let val = ferrokeras::data_adapter::TensorData::new(&vx, Some(&vy)).unwrap();
    let h = model
        .fit_source(
            &source,
            Fit {
                epochs: 1,
                verbose: 1,
                validation_data: Some((&val).into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(h.get("val_loss").is_some());
    assert_eq!(model.predict_source(&val).unwrap().size(), vec![20, 1]);
}

#[test]
fn randomized_search_is_repeatable() {
    let _serial = serial();
    let (x, y) = blobs(60, 9);
    let search = RandomizedSearch::new()
        .param("optimizer", ["sgd", "adam"])
        .param("activation", ["relu", "tanh"])
        .param("epochs", [2, 4])
        .n_iter(3)
        .cv(3)
        .seed(42);
    let build = |p: &SearchParams| -> Result<Model> {
        let model = Sequential::new()
            .add(Input::new([4]))
            .add(Dense::new(8).activation(p["activation"].to_string()))
            .add(Dense::new(1).activation("sigmoid"));
        model.compile(
            p["optimizer"].to_string(),
            "binary_crossentropy",
            ["accuracy"],
        )?;
        Ok(model.model())
    };
    let a = search.fit(build, &x, &y).unwrap();
    let b = search.fit(build, &x, &y).unwrap();
    assert_eq!(a.candidates.len(), 3);
    assert_eq!(a.best_params, b.best_params);
    assert_eq!(a, b);
    let cv = cross_val_score(
        || build(&a.best_params),
        &x,
        &y,
        3,
        || Fit {
            epochs: 2,
            ..Default::default()
        },
        "accuracy",
    )
    .unwrap();
    assert_eq!(cv.scores.len(), 3);
}
