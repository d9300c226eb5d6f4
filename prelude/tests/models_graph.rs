//! Functional models as graphs: branches and merges, several inputs and outputs, shared
//! layers and nested models — built, trained, saved and loaded. Parameter counts, layer
//! orders and summaries are Keras 3's own (tests/keras_reference/make_reference.py).

mod common;

use common::{quiet, same};
use ferrokeras::prelude::*;

fn cpu(kind: Kind) -> (Kind, Device) {
    (kind, Device::Cpu)
}

fn names(model: &Model) -> Vec<String> {
    model.layers().iter().map(Layer::name).collect()
}

/// The residual MLP: `Add` of two Dense outputs; 2,145 parameters as in Keras.
fn residual_mlp() -> (Model, KerasTensor) {
    let inputs = Input::new([32]);
    let h = Dense::new(32).activation("relu").call(&inputs).unwrap();
    let h2 = Dense::new(32).activation("relu").call(&h).unwrap();
    let s = Add::new().call(&[&h, &h2]).unwrap();
    let out = Dense::new(1).call(&s).unwrap();
    (Model::new(&inputs, &out).unwrap(), inputs)
}

#[test]
fn residual_mlp_trains_saves_and_loads() {
    set_random_seed(1);
    let (model, _) = residual_mlp();
    assert_eq!(model.count_params(), 2145);
    assert_eq!(
        names(&model),
        ["input_layer", "dense", "dense_1", "add", "dense_2"]
    );
    let summary = model.summary().to_string();
    let keras = "\
│ add (Add)           │ (None, 32)        │          0 │ dense[0][0],      │
│                     │                   │            │ dense_1[0][0]     │";
    assert!(summary.contains(keras), "{summary}");

    let x = Tensor::randn([256, 32], cpu(Kind::Float));
    let y = x.sum_dim_intlist(1, true, Kind::Float) * 0.1;
    model.compile("adam", "mse", ()).unwrap();
    let h = model.fit(&x, &y, quiet(30)).unwrap();
    let first = h["loss"][0];
    let last = *h["loss"].last().unwrap();
    assert!(last < first * 0.2, "loss {first} -> {last}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("residual.safetensors");
    model.save(&path).unwrap();
    let again = load_model(&path).unwrap();
    assert_eq!(again.count_params(), 2145);
    assert_eq!(names(&again), names(&model));
    assert!(again
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&model.predict(&x, Predict::default()).unwrap()));
}

/// The Keras functional-API guide's ticket model: three inputs, two outputs, two losses.
fn ticket_model() -> Model {
    let (num_tags, num_words, num_departments) = (12, 10_000, 4);
    let title = Input::with_name([10], "title");
    let body = Input::with_name([10], "body");
    let tags = Input::with_name([num_tags], "tags");
    let title_features = Embedding::new(num_words, 64).call(&title).unwrap();
    let body_features = Embedding::new(num_words, 64).call(&body).unwrap();
    let title_features = LSTM::new(128).call(&title_features).unwrap();
    let body_features = LSTM::new(32).call(&body_features).unwrap();
    let x = Concatenate::new()
        .call(&[&title_features, &body_features, &tags])
        .unwrap();
    let priority = Dense::new(1).name("priority").call(&x).unwrap();
    let department = Dense::new(num_departments)
        .name("department")
        .call(&x)
        .unwrap();
    Model::new(&[&title, &body, &tags], &[&priority, &department]).unwrap()
}

#[test]
fn ticket_model_has_three_inputs_two_outputs_and_two_losses() {
    set_random_seed(2);
    let model = ticket_model();
    assert_eq!(model.count_params(), 1_392_097);
    // Keras's order: by depth from the outputs, `tags` after the LSTMs.
    assert_eq!(
        names(&model),
        [
            "title",
            "body",
            "embedding",
            "embedding_1",
            "lstm",
            "lstm_1",
            "tags",
            "concatenate",
            "priority",
            "department"
        ]
    );
    let summary = model.summary().to_string();
    let keras = "\
│ concatenate         │ (None, 172)       │          0 │ lstm[0][0],       │
│ (Concatenate)       │                   │            │ lstm_1[0][0],     │
│                     │                   │            │ tags[0][0]        │";
    assert!(summary.contains(keras), "{summary}");

    let n = 64;
    let title = Tensor::randint(10_000, [n, 10], cpu(Kind::Int64));
    let body = Tensor::randint(10_000, [n, 10], cpu(Kind::Int64));
    let tags = Tensor::randint(2, [n, 12], cpu(Kind::Float));
    let priority = Tensor::rand([n, 1], cpu(Kind::Float));
    let department = Tensor::randint(2, [n, 4], cpu(Kind::Float));
    model
        .compile(
            RMSprop {
                learning_rate: 1e-3,
                ..Default::default()
            },
            Losses::from([
                BinaryCrossentropy::new().from_logits(true),
                CategoricalCrossentropy::new().from_logits(true),
            ])
            .weights([1.0, 0.2]),
            (),
        )
        .unwrap();
    // Data by name, as the guide passes dicts.
    let h = model
        .fit(
            [("title", &title), ("body", &body), ("tags", &tags)],
            [("priority", &priority), ("department", &department)],
            Fit {
                batch_size: 32,
                ..quiet(2)
            },
        )
        .unwrap();
    for key in ["loss", "priority_loss", "department_loss"] {
        assert_eq!(h[key].len(), 2, "{key}: {:?}", h.keys());
    }
    // The total is the weighted sum of the two outputs' losses.
    let ev = model
        .evaluate(
            [&title, &body, &tags],
            [&priority, &department],
            Evaluate {
                batch_size: 64,
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    let weighted = ev["priority_loss"] + 0.2 * ev["department_loss"];
    assert!((ev.loss() - weighted).abs() < 1e-4, "{ev:?}");
    let outs = model
        .predict_outputs([&title, &body, &tags], Predict::default())
        .unwrap();
    assert_eq!(outs[0].size(), vec![n, 1]);
    assert_eq!(outs[1].size(), vec![n, 4]);

    // A missing input is named.
    let err = model
        .predict([("title", &title), ("body", &body)], Predict::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("'tags'"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ticket.safetensors");
    model.save(&path).unwrap();
    let again = load_model(&path).unwrap();
    assert_eq!(names(&again), names(&model));
    let again_outs = again
        .predict_outputs([&title, &body, &tags], Predict::default())
        .unwrap();
    assert!(same(&outs, &again_outs));
}

#[test]
fn siamese_model_shares_its_encoder_layers() {
    set_random_seed(3);
    let a = Input::new([10]);
    let b = Input::new([10]);
    let enc1 = Layer::from(Dense::new(16).activation("relu"));
    let enc2 = Layer::from(Dense::new(8));
    let ea = enc2.call(&enc1.call(&a).unwrap()).unwrap();
    let eb = enc2.call(&enc1.call(&b).unwrap()).unwrap();
    let diff = Subtract::new().call(&[&ea, &eb]).unwrap();
    let out = Dense::new(1).activation("sigmoid").call(&diff).unwrap();
    let model = Model::new(&[&a, &b], &out).unwrap();
    // Keras: 321 parameters, each shared layer listed once with both calls connected.
    assert_eq!(model.count_params(), 321);
    assert_eq!(model.layers().len(), 6);
    let summary = model.summary().to_string();
    assert!(
        summary.contains("│ dense_1 (Dense)     │ (None, 8)         │        136 │ dense[0][0],      │\n│                     │                   │            │ dense[1][0]       │"),
        "{summary}"
    );
    // The same pair in either order: the difference flips, so the two outputs differ, but
    // the same pair twice gives a zero difference.
    let xa = Tensor::randn([32, 10], cpu(Kind::Float));
    let xb = Tensor::randn([32, 10], cpu(Kind::Float));
    let same_pair = model.predict([&xa, &xa], Predict::default()).unwrap();
    let bias_only = Tensor::ones([32, 1], cpu(Kind::Float))
        * out.layer().bias().unwrap().sigmoid().double_value(&[0]);
    assert!(same_pair.allclose(&bias_only, 1e-6, 1e-6, false));
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let y = Tensor::randint(2, [32, 1], cpu(Kind::Float));
    let before = enc1.get_weights();
    model.fit([&xa, &xb], &y, quiet(2)).unwrap();
    assert!(
        !same(&before, &enc1.get_weights()),
        "the shared encoder learns"
    );
}

#[test]
fn a_model_is_a_layer_of_another_model() {
    set_random_seed(4);
    let inner_in = Input::new([8]);
    let h = Dense::new(16).activation("relu").call(&inner_in).unwrap();
    let inner_out = Dense::new(4).call(&h).unwrap();
    let inner = Model::new(&inner_in, &inner_out).unwrap();

    let outer_seq = Sequential::new()
        .add(Input::new([8]))
        .add(inner.clone())
        .add(Dense::new(1));
    assert_eq!(outer_seq.count_params(), 217);
    assert_eq!(outer_seq.layers().len(), 2);

    let x_in = Input::new([8]);
    let y = inner.call(&x_in).unwrap();
    let out = Dense::new(1).call(&y).unwrap();
    let outer = Model::new(&x_in, &out).unwrap();
    assert_eq!(outer.count_params(), 217);
    assert_eq!(outer.layers().len(), 3);
    let row = &outer.summary().rows[1];
    assert_eq!(
        (row.layer.as_str(), row.params),
        ("functional (Functional)", 212)
    );

    // Both outer models share the inner model's weights; training one moves the other.
    let x = Tensor::randn([64, 8], cpu(Kind::Float));
    let t = Tensor::randn([64, 1], cpu(Kind::Float));
    let before = inner.predict(&x, Predict::default()).unwrap();
    outer.compile("sgd", "mse", ()).unwrap();
    outer.fit(&x, &t, quiet(3)).unwrap();
    assert!(!inner
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&before));

    // Freezing the inner model freezes it inside the outer one.
    inner.set_trainable(false);
    let frozen = inner.get_weights();
    outer.compile("sgd", "mse", ()).unwrap();
    outer.fit(&x, &t, quiet(2)).unwrap();
    assert!(same(&frozen, &inner.get_weights()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested.safetensors");
    outer.save(&path).unwrap();
    let again = load_model(&path).unwrap();
    assert_eq!(again.count_params(), 217);
    assert!(again
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&outer.predict(&x, Predict::default()).unwrap()));
}

#[test]
fn a_chain_summary_has_no_connected_to_column() {
    let inputs = Input::new([4]);
    let h = Dense::new(8).call(&inputs).unwrap();
    let out = Dense::new(2).call(&h).unwrap();
    let model = Model::new(&inputs, &out).unwrap();
    let text = model.summary().to_string();
    assert!(!text.contains("Connected to"), "{text}");
    assert!(
        text.contains(
            "│ input_layer (InputLayer)        │ (None, 4)              │             0 │"
        ),
        "{text}"
    );
}

/// A layer keeps its graph only weakly: once the model and the cell's symbolic tensors are
/// gone, the only holder of a layer is the handle the test kept.
#[test]
fn a_dropped_model_leaves_no_holder_of_its_layers() {
    let (model, inputs) = residual_mlp();
    let layers = model.layers();
    let x = Tensor::randn([4, 32], cpu(Kind::Float));
    model.compile("adam", "mse", ()).unwrap();
    model.fit(&x, &x.narrow(1, 0, 1), quiet(1)).unwrap();
    drop(model);
    drop(inputs);
    for l in &layers {
        assert_eq!(
            l.handle_count(),
            1,
            "layer {} is still held elsewhere",
            l.name()
        );
    }
    // A layer whose graph is gone says so rather than keeping it alive.
    let err = layers[1].output().unwrap_err().to_string();
    assert!(err.contains("not connected"), "{err}");
}

#[test]
fn an_old_format_functional_file_still_loads() {
    // A file saved before graphs: a chain of layers and no `format`.
    set_random_seed(5);
    let arch = serde_json::json!({
        "class_name": "Functional",
        "name": "old",
        "input_shape": [3],
        "layers": [
            {"class_name": "Dense", "name": "dense", "trainable": true, "input_shape": null,
             "config": {"units": 2, "activation": "relu", "use_bias": true}},
            {"class_name": "Dense", "name": "dense_1", "trainable": true, "input_shape": null,
             "config": {"units": 1, "activation": "linear", "use_bias": true}}
        ]
    });
    let kernel = Tensor::from_slice(&[1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]).view([3, 2]);
    let tensors = [
        ("layers.0.kernel", kernel),
        ("layers.0.bias", Tensor::from_slice(&[0.0f32, 0.0])),
        (
            "layers.1.kernel",
            Tensor::from_slice(&[1.0f32, 1.0]).view([2, 1]),
        ),
        ("layers.1.bias", Tensor::from_slice(&[0.5f32])),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.safetensors");
    let data: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(k, t)| {
            let t = t.contiguous();
            let mut bytes = vec![0u8; t.numel() * 4];
            t.copy_data_u8(&mut bytes, t.numel());
            (
                k.to_string(),
                bytes,
                t.size().iter().map(|&d| d as usize).collect(),
            )
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = data
        .iter()
        .map(|(k, b, s)| {
            (
                k.clone(),
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b)
                    .unwrap(),
            )
        })
        .collect();
    let meta = std::collections::HashMap::from([(
        "ferrokeras_architecture".to_string(),
        arch.to_string(),
    )]);
    std::fs::write(&path, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
    let model = load_model(&path).unwrap();
    let y = model
        .predict(
            &Tensor::from_slice(&[1.0f32, 2.0, 3.0]).view([1, 3]),
            Predict::default(),
        )
        .unwrap();
    // relu([1+3, 2+3]) · [1, 1] + 0.5
    assert_eq!(y.double_value(&[0, 0]), 9.5);
}
