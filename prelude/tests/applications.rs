//! `keras.applications` against Keras itself, without the network: Keras (torch backend) builds
//! each application with random weights and writes them as its published files and as
//! `.weights.h5` (tests/keras_reference/make_applications.py); here the prelude builds the same
//! model, loads each file and must give Keras's outputs, parameter counts and layer names.
//!
//! The fixtures come from `$FERROKERAS_KERAS_APPLICATIONS` when set (tests/run.sh makes them
//! there once), else this test runs the generator itself into the target directory, with
//! `$FERROKERAS_KERAS_PYTHON` or the project venv's Python (Keras and h5py come from
//! kernel/scripts/requirements-test.txt).

mod common;

use common::quiet;
use ferrokeras::prelude::*;
use ferrokeras::runtime::{set_settings, settings, Settings};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const TOLERANCE: f64 = 1e-4;
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/keras_reference/make_applications.py"
);

/// The fixtures' folder; every loader on the calling thread finds Keras's files in its
/// `models/`, and never downloads.
fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let dir = match std::env::var_os("FERROKERAS_KERAS_APPLICATIONS") {
            Some(d) => PathBuf::from(d),
            None => PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keras_applications"),
        };
        // Made again when the generator changed since (it leaves a copy of itself).
        let script = std::fs::read(SCRIPT).unwrap();
        let made_by = std::fs::read(dir.join("make_applications.py")).ok();
        if !dir.join("reference.json").is_file() || made_by.as_ref() != Some(&script) {
            generate(&dir);
            std::fs::write(dir.join("make_applications.py"), script).unwrap();
        }
        dir
    });
    set_settings(Settings {
        data_dir: Some(dir.clone()),
        offline: true,
        ..settings()
    });
    dir
}

fn generate(dir: &Path) {
    let python = std::env::var_os("FERROKERAS_KERAS_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("FERROKERAS_VENV").map(|v| PathBuf::from(v).join("bin/python"))
        })
        .unwrap_or_else(|| PathBuf::from("python3"));
    let script = SCRIPT;
    let status = std::process::Command::new(&python)
        .arg(script)
        .arg(dir)
        .env("KERAS_BACKEND", "torch")
        .status()
        .unwrap_or_else(|e| panic!("could not run {}: {e}", python.display()));
    assert!(
        status.success(),
        "{script} failed with {} (it needs keras and h5py: pip install -r kernel/scripts/requirements-test.txt)",
        python.display()
    );
}

fn reference() -> &'static Value {
    static REF: OnceLock<Value> = OnceLock::new();
    REF.get_or_init(|| {
        let text = std::fs::read_to_string(fixtures().join("reference.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn npz(name: &str) -> Vec<(String, Tensor)> {
    load_npz(fixtures().join(name)).unwrap()
}

fn array(arrays: &[(String, Tensor)], key: &str) -> Tensor {
    arrays
        .iter()
        .find(|(n, _)| n == key)
        .unwrap()
        .1
        .shallow_clone()
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    assert_eq!(a.size(), b.size());
    (a - b).abs().max().double_value(&[])
}

fn names(model: &Model) -> Vec<String> {
    model.layers().iter().map(Layer::name).collect()
}

/// Builds the case's model with `weights`, runs the case's input through the family's
/// `preprocess_input` and the model, and checks Keras's output, counts and names.
fn check_case(case: &str, build: impl Fn(Weights) -> Result<Model>, pre: fn(&Tensor) -> Tensor) {
    let r = &reference()["cases"][case];
    let data = npz(&format!("{case}.npz"));
    let (x, y) = (array(&data, "x"), array(&data, "y"));
    for weights in [
        Weights::Imagenet,
        Weights::File(fixtures().join(format!("{case}.weights.h5"))),
    ] {
        let start = std::time::Instant::now();
        let model = build(weights.clone()).unwrap();
        assert_eq!(
            model.count_params(),
            r["count_params"].as_i64().unwrap(),
            "{case}"
        );
        assert_eq!(
            model.layers().len() as u64,
            r["num_layers"].as_u64().unwrap()
        );
        let keras_names: Vec<String> = serde_json::from_value(r["layer_names"].clone()).unwrap();
        // Keras numbers its input and top pooling layers by session (`input_layer_3`); the
        // rest are Keras's fixed names.
        let fixed = |names: &[String]| -> Vec<String> {
            names
                .iter()
                .filter(|n| {
                    !n.starts_with("input_layer") && !n.starts_with("global_average_pooling2d")
                })
                .cloned()
                .collect()
        };
        assert_eq!(fixed(&names(&model)), fixed(&keras_names), "{case}");
        assert_eq!(model.name(), r["model_name"].as_str().unwrap());
        let out = model.predict(&pre(&x)).unwrap();
        let diff = max_diff(&out, &y);
        println!(
            "{case} ({weights:?}): max abs diff {diff:.2e}, {:.1}s",
            start.elapsed().as_secs_f64()
        );
        assert!(diff <= TOLERANCE, "{case} {weights:?}: max abs diff {diff}");
    }
}

fn mobilenet(alpha: f64, include_top: bool) -> impl Fn(Weights) -> Result<Model> {
    move |weights| {
        MobileNetV2 {
            input_shape: Some([96, 96, 3]),
            alpha,
            include_top,
            weights,
            ..Default::default()
        }
        .build()
    }
}

#[test]
fn mobilenet_v2_1_0_no_top_matches_keras() {
    check_case(
        "mobilenet_v2_1.0_96_no_top",
        mobilenet(1.0, false),
        mobilenet_v2::preprocess_input,
    );
}

#[test]
fn mobilenet_v2_0_35_no_top_matches_keras() {
    check_case(
        "mobilenet_v2_0.35_96_no_top",
        mobilenet(0.35, false),
        mobilenet_v2::preprocess_input,
    );
}

#[test]
fn mobilenet_v2_1_0_with_top_matches_keras() {
    check_case(
        "mobilenet_v2_1.0_96",
        mobilenet(1.0, true),
        mobilenet_v2::preprocess_input,
    );
}

#[test]
fn mobilenet_v2_0_35_with_top_matches_keras() {
    check_case(
        "mobilenet_v2_0.35_96",
        mobilenet(0.35, true),
        mobilenet_v2::preprocess_input,
    );
}

#[test]
fn resnet50_no_top_matches_keras() {
    check_case(
        "resnet50_64_no_top",
        |weights| {
            ResNet50 {
                input_shape: Some([64, 64, 3]),
                include_top: false,
                weights,
                ..Default::default()
            }
            .build()
        },
        resnet50::preprocess_input,
    );
}

#[test]
fn vgg16_no_top_matches_keras() {
    check_case(
        "vgg16_64_no_top",
        |weights| {
            VGG16 {
                input_shape: Some([64, 64, 3]),
                include_top: false,
                weights,
                ..Default::default()
            }
            .build()
        },
        vgg16::preprocess_input,
    );
}

#[test]
fn parameter_and_layer_counts_equal_keras() {
    let counts = &reference()["counts"];
    let none = || Weights::None;
    let built: Vec<(&str, Model)> = vec![
        (
            "MobileNetV2_224",
            MobileNetV2 {
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "MobileNetV2_160_no_top",
            MobileNetV2 {
                input_shape: Some([160, 160, 3]),
                include_top: false,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "MobileNetV2_0.35_224",
            MobileNetV2 {
                alpha: 0.35,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "MobileNetV2_1.4_224",
            MobileNetV2 {
                alpha: 1.4,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "ResNet50",
            ResNet50 {
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "ResNet50_no_top",
            ResNet50 {
                include_top: false,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "VGG16_no_top",
            VGG16 {
                include_top: false,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
        (
            "VGG19_no_top",
            VGG19 {
                include_top: false,
                weights: none(),
                ..Default::default()
            }
            .build()
            .unwrap(),
        ),
    ];
    for (name, model) in built {
        let r = &counts[name];
        assert_eq!(
            model.count_params(),
            r["count_params"].as_i64().unwrap(),
            "{name}"
        );
        assert_eq!(
            model.layers().len() as u64,
            r["num_layers"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(model.name(), r["model_name"].as_str().unwrap(), "{name}");
    }
    // The two big classifiers one at a time (over 500 MB of weights each).
    for (name, build) in [
        (
            "VGG16",
            (|| {
                VGG16 {
                    weights: Weights::None,
                    ..Default::default()
                }
                .build()
            }) as fn() -> Result<Model>,
        ),
        ("VGG19", || {
            VGG19 {
                weights: Weights::None,
                ..Default::default()
            }
            .build()
        }),
    ] {
        let model = build().unwrap();
        let r = &counts[name];
        assert_eq!(
            model.count_params(),
            r["count_params"].as_i64().unwrap(),
            "{name}"
        );
        assert_eq!(
            model.layers().len() as u64,
            r["num_layers"].as_u64().unwrap(),
            "{name}"
        );
    }
}

fn small_base() -> Model {
    fixtures();
    MobileNetV2 {
        input_shape: Some([96, 96, 3]),
        alpha: 0.35,
        include_top: false,
        weights: "imagenet".into(),
        ..Default::default()
    }
    .build()
    .unwrap()
}

#[test]
fn legacy_file_as_keras_3_writes_it_loads_too() {
    // Keras 3's legacy writer stores names as variable-length strings, without `:0`.
    let case = "mobilenet_v2_0.35_96_no_top";
    let data = npz(&format!("{case}.npz"));
    let model = MobileNetV2 {
        input_shape: Some([96, 96, 3]),
        alpha: 0.35,
        include_top: false,
        weights: Weights::None,
        ..Default::default()
    }
    .build()
    .unwrap();
    model
        .load_weights(fixtures().join("keras3_legacy.h5"))
        .unwrap();
    let out = model
        .predict(&mobilenet_v2::preprocess_input(&array(&data, "x")))
        .unwrap();
    assert!(max_diff(&out, &array(&data, "y")) <= TOLERANCE);
}

#[test]
fn nested_transfer_model_loads_both_layouts() {
    let data = npz("transfer.npz");
    for file in ["transfer.weights.h5", "transfer.h5"] {
        let base = MobileNetV2 {
            input_shape: Some([96, 96, 3]),
            alpha: 0.35,
            include_top: false,
            weights: Weights::None,
            ..Default::default()
        }
        .build()
        .unwrap();
        let model = Sequential::new()
            .add(Input::new([96, 96, 3]))
            .add(base)
            .add(GlobalAveragePooling2D::new().name("gap"))
            .add(Dense::new(1).activation("sigmoid").name("head"));
        model.load_weights(fixtures().join(file)).unwrap();
        let out = model
            .predict(&mobilenet_v2::preprocess_input(&array(&data, "x")))
            .unwrap();
        let diff = max_diff(&out, &array(&data, "y"));
        assert!(diff <= TOLERANCE, "{file}: {diff}");
    }
}

#[test]
fn decode_predictions_matches_keras() {
    let preds = array(&npz("decode.npz"), "preds");
    let decoded = mobilenet_v2::decode_predictions(&preds, 3).unwrap();
    let keras = reference()["decode_top3"].as_array().unwrap();
    assert_eq!(decoded.len(), keras.len());
    for (rows, krows) in decoded.0.iter().zip(keras) {
        for (p, k) in rows.iter().zip(krows.as_array().unwrap()) {
            assert_eq!(p.wnid, k[0].as_str().unwrap());
            assert_eq!(p.name, k[1].as_str().unwrap());
            assert!((p.score - k[2].as_f64().unwrap()).abs() < 1e-6);
        }
    }
    let html = decoded.mime_bundle();
    assert!(html.get("text/html").unwrap().contains("<table>"));
    assert!(html.get("text/html").unwrap().contains(&decoded[0][0].name));
}

#[test]
fn frozen_base_keeps_its_weights_while_the_head_learns() {
    let base = small_base();
    base.set_trainable(false);
    let model = Sequential::new()
        .add(Input::new([96, 96, 3]))
        .add(base.clone())
        .add(GlobalAveragePooling2D::new())
        .add(Dense::new(1).activation("sigmoid"));
    model
        .compile(
            Adam {
                learning_rate: 1e-2,
                ..Default::default()
            },
            "binary_crossentropy",
            ["accuracy"],
        )
        .unwrap();
    model.build().unwrap();
    let before = base.get_weights();
    let head_before = model.layers()[2].get_weights();
    set_random_seed(3);
    let x = mobilenet_v2::preprocess_input(
        &(Tensor::rand([16, 96, 96, 3], (Kind::Float, Device::Cpu)) * 255.0),
    );
    let y = Tensor::randint(2, [16, 1], (Kind::Float, Device::Cpu));
    model
        .fit(
            &x,
            &y,
            Fit {
                batch_size: 8,
                ..quiet(2)
            },
        )
        .unwrap();
    let after = base.get_weights();
    assert!(
        before.iter().zip(&after).all(|(a, b)| a.equal(b)),
        "a frozen weight changed"
    );
    let head_after = model.layers()[2].get_weights();
    assert!(
        !head_before[0].equal(&head_after[0]),
        "the head did not learn"
    );

    // Fine-tuning: the last 20 layers trainable, as the course's notebook does it.
    base.set_trainable(true);
    let layers = base.layers();
    let n = layers.len();
    for l in &layers[..n - 20] {
        l.set_trainable(false);
    }
    let trainable: Vec<bool> = layers.iter().map(Layer::trainable).collect();
    assert!(trainable[..n - 20].iter().all(|t| !t));
    assert!(trainable[n - 20..].iter().all(|t| *t));
    model
        .compile(
            Adam {
                learning_rate: 1e-4,
                ..Default::default()
            },
            "binary_crossentropy",
            ["accuracy"],
        )
        .unwrap();
    let frozen_bn = layers[..n - 20]
        .iter()
        .rfind(|l| l.class_name() == "BatchNormalization")
        .unwrap()
        .clone();
    assert!(!frozen_bn.trainable());
    let frozen_before = frozen_bn.get_weights();
    let last_bn = base.get_layer("Conv_1_bn").unwrap();
    assert!(last_bn.trainable());
    let last_before = last_bn.get_weights();
    model
        .fit(
            &x,
            &y,
            Fit {
                batch_size: 8,
                ..quiet(1)
            },
        )
        .unwrap();
    // A frozen BatchNormalization runs in inference mode: its moving statistics stay.
    assert!(frozen_bn
        .get_weights()
        .iter()
        .zip(&frozen_before)
        .all(|(a, b)| a.equal(b)));
    // A trainable one learns and updates its moving statistics.
    let last_after = last_bn.get_weights();
    assert!(
        !last_after[2].equal(&last_before[2]),
        "moving_mean did not update"
    );
}

#[test]
fn missing_file_offline_names_it_its_url_and_folder() {
    fixtures();
    let err = MobileNetV2 {
        input_shape: Some([128, 128, 3]),
        alpha: 0.5,
        ..Default::default()
    }
    .build()
    .unwrap_err()
    .to_string();
    let file = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_128.h5";
    assert!(err.contains(file), "{err}");
    assert!(
        err.contains(&format!(
            "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/{file}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&fixtures().join("models").display().to_string()),
        "{err}"
    );
}

#[test]
fn mismatched_file_names_the_layer_and_both_shapes() {
    let model = MobileNetV2 {
        input_shape: Some([96, 96, 3]),
        alpha: 1.0,
        include_top: false,
        weights: Weights::None,
        ..Default::default()
    }
    .build()
    .unwrap();
    let file = fixtures().join("mobilenet_v2_0.35_96_no_top.weights.h5");
    let err = model.load_weights(&file).unwrap_err().to_string();
    assert!(
        err.contains("Conv1") && err.contains("[3, 3, 3, 32]") && err.contains("[3, 3, 3, 16]"),
        "{err}"
    );
    let legacy = fixtures().join("models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5");
    let err = model.load_weights(&legacy).unwrap_err().to_string();
    assert!(
        err.contains("13 layers with weights") && err.contains("block1_conv1"),
        "{err}"
    );
    let not_h5 = fixtures().join("reference.json");
    assert!(model.load_weights(&not_h5).is_err());
}
