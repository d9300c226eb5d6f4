//! Keras's whole-model files both ways, against Keras 3.15.1 itself (issue 22), without the
//! network: tests/keras_reference/make_saving.py has Keras save one small model per layer
//! family, the ticket model, siamese and nested models and MobileNetV2 α0.35 as `.keras` and
//! legacy `.h5` (and that `.h5` in Keras 2's spelling); the prelude must load each and predict
//! as Keras did. Then the prelude saves them (and a model of its own) and the same script has
//! `keras.saving.load_model` load the prelude's files and predict as the prelude did.
//!
//! The Keras files are made once per generator version in the target directory, with
//! `$FERROKERAS_KERAS_PYTHON` or the project venv's Python (Keras and h5py come from
//! kernel/scripts/requirements-test.txt).

mod common;

use common::keras_reference::{arrays, files_made_by, run_script};

use ferrokeras::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Largest difference from Keras's outputs, relative to the outputs' size when they exceed 1
/// (MobileNetV2 with random weights gives outputs in the tens).
const TOLERANCE: f64 = 1e-5;
const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/keras_reference/make_saving.py"
);
const CASES: &[&str] = &[
    "dense",
    "conv",
    "conv1d_pooling",
    "pooling2d",
    "normalization_dropout",
    "embedding",
    "lstm",
    "merges",
    "reshaping",
    "ticket",
    "siamese",
    "siamese_sequential_encoder",
    "nested",
    "nested_sequential",
    "mobilenet_v2_0.35",
];

/// Keras's files, made again when the script changed since.
fn keras_files() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| files_made_by(SCRIPT, "keras_saving", "cases.json"))
}

fn predict(model: &Model, xs: &[Tensor]) -> Vec<Tensor> {
    model
        .predict_outputs(xs.iter().collect::<Vec<_>>(), Predict::default())
        .unwrap()
}

/// `(max |a - b|, max |b|)` over outputs.
fn compare(got: &[Tensor], want: &[Tensor]) -> (f64, f64) {
    assert_eq!(got.len(), want.len(), "number of outputs");
    let mut diff: f64 = 0.0;
    let mut scale: f64 = 0.0;
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g.size(), w.size(), "output shape");
        diff = diff.max((g - w).abs().max().double_value(&[]));
        scale = scale.max(w.abs().max().double_value(&[]));
    }
    (diff, scale)
}

fn within(diff: f64, scale: f64) -> bool {
    diff <= TOLERANCE * scale.max(1.0)
}

#[test]
fn keras_files_load_and_predict_as_keras() {
    let dir = keras_files();
    let mut report = Vec::new();
    for case in CASES {
        let data = load_npz(dir.join(format!("{case}.npz"))).unwrap();
        let (xs, ys) = (arrays(&data, "x"), arrays(&data, "y"));
        // `keras2.h5`: the legacy file in Keras 2's spelling (make_saving.py says how).
        for ext in ["keras", "h5", "keras2.h5"] {
            let path = dir.join(format!("{case}.{ext}"));
            let model = load_model(&path).unwrap_or_else(|e| panic!("{case}.{ext}: {e}"));
            let (diff, scale) = compare(&predict(&model, &xs), &ys);
            report.push(format!(
                "{case}.{ext}: max |prelude - keras| = {diff:.2e} (outputs up to {scale:.2})"
            ));
            assert!(within(diff, scale), "{}", report.last().unwrap());
        }
    }
    println!("{}", report.join("\n"));
}

/// A model built in the prelude, the prelude's way: no `Input` (the first layer's
/// `input_shape`), automatic names, compiled.
fn prelude_model() -> Model {
    set_random_seed(3);
    let m = Sequential::new()
        .add(Dense::new(8).activation("relu").input_shape([5]))
        .add(BatchNormalization::new())
        .add(Dropout::new(0.2))
        .add(Dense::new(2).activation("softmax"))
        .model();
    m.compile(
        Adam {
            learning_rate: 0.02,
            ..Default::default()
        },
        "sparse_categorical_crossentropy",
        ["accuracy"],
    )
    .unwrap();
    let x = Tensor::randn([16, 5], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(2, [16], (Kind::Int64, Device::Cpu));
    m.fit(
        &x,
        &y,
        Fit {
            epochs: 2,
            verbose: 0,
            ..Default::default()
        },
    )
    .unwrap();
    m
}

/// A functional model built in the prelude, with its automatic names: two inputs through
/// a shared layer and a shared nested model, a merge, two outputs.
fn prelude_functional() -> Model {
    set_random_seed(6);
    let a = Input::new([6]);
    let b = Input::new([6]);
    let shared = Layer::from(Dense::new(5).activation("tanh"));
    let enc_in = Input::new([5]);
    let h = Dense::new(4).call(&enc_in).unwrap();
    let h = BatchNormalization::new().call(&h).unwrap();
    let encoder = Model::new(&enc_in, &h).unwrap();
    let ea = encoder.call(&shared.call(&a).unwrap()).unwrap();
    let eb = encoder.call(&shared.call(&b).unwrap()).unwrap();
    let merged = Concatenate::new().call(&[&ea, &eb]).unwrap();
    let out1 = Dense::new(1).call(&merged).unwrap();
    let out2 = Dense::new(3).activation("softmax").call(&merged).unwrap();
    let model = Model::new(&[&a, &b], &[&out1, &out2]).unwrap();
    // Moving statistics away from 0 and 1, so that a misplaced one shows.
    let bn = encoder.layers().last().unwrap().clone();
    let w = bn.get_weights();
    let stats: Vec<Tensor> = w.iter().map(|t| t.rand_like() + 0.5).collect();
    bn.set_weights(&stats).unwrap();
    model
}

#[test]
fn files_the_prelude_writes_load_in_keras() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keras_saving_prelude");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let write = |name: &str, model: &Model, xs: &[Tensor]| {
        model.save(out.join(format!("{name}.keras"))).unwrap();
        model.save(out.join(format!("{name}.h5"))).unwrap();
        // Weights alone in both HDF5 layouts, and the architecture as JSON, for Keras's
        // `load_weights` and `model_from_json`.
        model
            .save_weights(out.join(format!("{name}.weights.h5")))
            .unwrap();
        model
            .save_weights(out.join(format!("{name}.legacy.h5")))
            .unwrap();
        std::fs::write(out.join(format!("{name}.json")), model.to_json()).unwrap();
        let ys = predict(model, xs);
        let mut named: Vec<(String, &Tensor)> = Vec::new();
        for (i, x) in xs.iter().enumerate() {
            named.push((format!("x{i}"), x));
        }
        for (i, y) in ys.iter().enumerate() {
            named.push((format!("y{i}"), y));
        }
        let refs: Vec<(&str, &Tensor)> = named.iter().map(|(k, t)| (k.as_str(), *t)).collect();
        save_npz(out.join(format!("{name}.prelude.npz")), &refs).unwrap();
    };
    for case in CASES {
        let data = load_npz(keras_files().join(format!("{case}.npz"))).unwrap();
        let model = load_model(keras_files().join(format!("{case}.keras"))).unwrap();
        write(case, &model, &arrays(&data, "x"));
    }
    set_random_seed(4);
    write(
        "prelude_sequential",
        &prelude_model(),
        &[Tensor::randn([4, 5], (Kind::Float, Device::Cpu))],
    );
    write(
        "prelude_functional",
        &prelude_functional(),
        &[
            Tensor::randn([4, 6], (Kind::Float, Device::Cpu)),
            Tensor::randn([4, 6], (Kind::Float, Device::Cpu)),
        ],
    );
    run_script(SCRIPT, "check", &out);
    let checked: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("checked.json")).unwrap()).unwrap();
    let mut report = Vec::new();
    for name in CASES
        .iter()
        .copied()
        .chain(["prelude_sequential", "prelude_functional"])
    {
        for ext in ["keras", "h5", "weights.h5", "legacy.h5", "json"] {
            let file = format!("{name}.{ext}");
            let r = &checked[&file];
            assert!(
                r["error"].is_null(),
                "Keras could not load {file}: {}",
                r["error"]
            );
            let (diff, scale) = (
                r["max_abs_diff"].as_f64().unwrap(),
                r["max_abs_output"].as_f64().unwrap(),
            );
            report.push(format!(
                "{file}: max |keras - prelude| = {diff:.2e} (outputs up to {scale:.2})"
            ));
            assert!(within(diff, scale), "{}", report.last().unwrap());
        }
    }
    // Compile settings went with the files.
    for file in [
        "dense.keras",
        "ticket.keras",
        "prelude_sequential.keras",
        "prelude_sequential.h5",
    ] {
        assert_eq!(
            checked[file]["compiled"], true,
            "{file} came back uncompiled in Keras"
        );
    }
    println!("{}", report.join("\n"));
}

#[test]
fn keras_compile_settings_come_back() {
    let dense = load_model(keras_files().join("dense.keras")).unwrap();
    assert!(dense.is_compiled());
    match dense.optimizer() {
        Some(OptimizerSpec::Adam(a)) => assert!((a.learning_rate - 0.01).abs() < 1e-6, "{a:?}"),
        other => panic!("dense.keras: optimizer {other:?}"),
    }
    for ext in ["keras", "h5"] {
        let ticket = load_model(keras_files().join(format!("ticket.{ext}"))).unwrap();
        match ticket.optimizer() {
            Some(OptimizerSpec::SGD(s)) => assert!(
                (s.momentum - 0.5).abs() < 1e-9 && (s.learning_rate - 0.05).abs() < 1e-6,
                "{s:?}"
            ),
            other => panic!("ticket.{ext}: optimizer {other:?}"),
        }
    }
    assert!(!load_model(keras_files().join("conv.keras"))
        .unwrap()
        .is_compiled());
}

/// Training goes on after a round trip exactly as it goes on in memory: the compile settings
/// come back with the file (plain SGD keeps no optimizer state to lose).
#[test]
fn training_continues_after_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    set_random_seed(7);
    let x = Tensor::randn([32, 4], (Kind::Float, Device::Cpu));
    let y = x.sum_dim_intlist(1, true, Kind::Float);
    for ext in ["keras", "h5"] {
        set_random_seed(7);
        let model = Sequential::new()
            .add(Input::new([4]))
            .add(Dense::new(8).activation("tanh"))
            .add(Dense::new(1))
            .model();
        model
            .compile(
                SGD {
                    learning_rate: 0.05,
                    ..Default::default()
                },
                "mse",
                ["mae"],
            )
            .unwrap();
        let fit = || Fit {
            epochs: 2,
            verbose: 0,
            shuffle: false,
            ..Default::default()
        };
        model.fit(&x, &y, fit()).unwrap();
        let path = dir.path().join(format!("m.{ext}"));
        model.save(&path).unwrap();
        let again = load_model(&path).unwrap();
        assert_eq!(again.optimizer(), model.optimizer(), "{ext}");
        let h1 = model.fit(&x, &y, fit()).unwrap();
        let h2 = again.fit(&x, &y, fit()).unwrap();
        assert_eq!(h1["loss"], h2["loss"], "{ext}");
        assert_eq!(h1["mae"], h2["mae"], "{ext}");
        for (a, b) in model.layers().iter().zip(again.layers()) {
            for (wa, wb) in a.get_weights().iter().zip(b.get_weights()) {
                assert!(wa.allclose(&wb, 0.0, 0.0, false), "{ext}: {}", a.name());
            }
        }
    }
}

#[test]
fn broken_files_give_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let keras = std::fs::read(keras_files().join("dense.keras")).unwrap();
    let h5 = std::fs::read(keras_files().join("dense.h5")).unwrap();
    let cut_keras = dir.path().join("cut.keras");
    std::fs::write(&cut_keras, &keras[..keras.len() / 2]).unwrap();
    let cut_h5 = dir.path().join("cut.h5");
    std::fs::write(&cut_h5, &h5[..h5.len() / 3]).unwrap();
    for path in [&cut_keras, &cut_h5] {
        let err = load_model(path).unwrap_err();
        assert!(matches!(err, Error::CorruptFile { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
    // A layer class the prelude lacks: Keras's own archive with its config edited.
    let config = read_member(&keras, "config.json").replace("\"Dense\"", "\"Frobnicator\"");
    let unknown = dir.path().join("unknown.keras");
    write_archive(&unknown, &keras, "config.json", config.as_bytes());
    let err = load_model(&unknown).unwrap_err();
    assert!(matches!(err, Error::UnsupportedModel { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("unknown.keras") && text.contains("Frobnicator"),
        "{text}"
    );
    // Weights that do not fit the config.
    let config = read_member(&keras, "config.json").replace("\"units\": 16", "\"units\": 15");
    let mismatch = dir.path().join("mismatch.keras");
    write_archive(&mismatch, &keras, "config.json", config.as_bytes());
    let err = load_model(&mismatch).unwrap_err();
    assert!(matches!(err, Error::WeightsMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("mismatch.keras"), "{err}");
}

fn read_member(archive: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// A copy of `archive` with member `name` replaced by `bytes`.
fn write_archive(path: &Path, archive: &[u8], name: &str, bytes: &[u8]) {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let member = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.start_file(member.as_str(), zip::write::FileOptions::default())
            .unwrap();
        out.write_all(if member == name { bytes } else { &data })
            .unwrap();
    }
    out.finish().unwrap();
}

/// `ModelCheckpoint`, `save_weights` and `to_json` write what their names say, and read back.
#[test]
fn checkpoints_weights_and_json_follow_keras_names() {
    let dir = tempfile::tempdir().unwrap();
    set_random_seed(5);
    let x = Tensor::randn([16, 3], (Kind::Float, Device::Cpu));
    let y = x.sum_dim_intlist(1, true, Kind::Float);
    let inputs = Input::new([3]);
    let h = Dense::new(4).activation("relu").call(&inputs).unwrap();
    let out = Dense::new(1).call(&h).unwrap();
    let model = Model::new(&inputs, &out).unwrap();
    model.compile("adam", "mse", ["mae"]).unwrap();
    for name in ["best.h5", "best.keras"] {
        let path = dir.path().join(name);
        let ckpt = ModelCheckpoint::new(&path)
            .monitor("loss")
            .save_best_only(true);
        model
            .fit(
                &x,
                &y,
                Fit {
                    epochs: 2,
                    verbose: 0,
                    ..Default::default()
                }
                .callback(ckpt),
            )
            .unwrap();
        let head = std::fs::read(&path).unwrap()[..4].to_vec();
        let want: &[u8] = if name.ends_with(".h5") {
            b"\x89HDF"
        } else {
            b"PK\x03\x04"
        };
        assert_eq!(head, want, "{name}");
        assert!(load_model(&path).unwrap().is_compiled(), "{name}");
    }
    let want = model.predict(&x, Predict::default()).unwrap();
    for name in ["w.weights.h5", "w.h5", "w.safetensors"] {
        let path = dir.path().join(name);
        model.save_weights(&path).unwrap();
        let fresh = model_from_json(&model.to_json()).unwrap();
        fresh.load_weights(&path).unwrap();
        assert!(
            fresh
                .predict(&x, Predict::default())
                .unwrap()
                .allclose(&want, 0.0, 0.0, false),
            "{name}"
        );
    }
    // The weights of a whole-model `.keras`, as Keras's `load_weights("x.keras")`.
    let whole = dir.path().join("whole.keras");
    model.save(&whole).unwrap();
    let fresh = model_from_json(&model.to_json()).unwrap();
    fresh.load_weights(&whole).unwrap();
    assert!(fresh
        .predict(&x, Predict::default())
        .unwrap()
        .allclose(&want, 0.0, 0.0, false));
    assert!(matches!(
        model.save_weights(dir.path().join("w.keras")),
        Err(Error::InvalidArgument(_))
    ));
    let json: Value = serde_json::from_str(&model.to_json()).unwrap();
    assert_eq!(json["class_name"], "Functional");
    assert_eq!(json["config"]["layers"].as_array().unwrap().len(), 3);
}
