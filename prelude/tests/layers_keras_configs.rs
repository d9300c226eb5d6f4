//! Each layer's config against Keras 3's `get_config()` for the same layer, field by field:
//! tests/keras_reference/layer_configs.py makes the layers in Keras (torch backend, no
//! network) and writes their configs; here the prelude makes the same layers and must write
//! the same fields with the same values (initializers, regularizers, constraints and the dtype
//! policy as Keras's nested objects), and read Keras's config back into the same layer.
//!
//! Python: `$FERROKERAS_KERAS_PYTHON`, else the project venv's, else `python3` (Keras comes
//! from kernel/scripts/requirements-test.txt).

use ferrokeras::prelude::*;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/keras_reference/layer_configs.py"
);

/// Keras's configs, by case (made once per test process).
fn keras_configs() -> &'static Value {
    static CONFIGS: OnceLock<Value> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let python = std::env::var_os("FERROKERAS_KERAS_PYTHON")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("FERROKERAS_VENV").map(|v| PathBuf::from(v).join("bin/python"))
            })
            .unwrap_or_else(|| PathBuf::from("python3"));
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("keras_layer_configs.json");
        let status = std::process::Command::new(&python)
            .arg(SCRIPT)
            .arg(&out)
            .env("KERAS_BACKEND", "torch")
            .status()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", python.display()));
        assert!(
            status.success(),
            "{SCRIPT} failed with {}",
            python.display()
        );
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
    })
}

/// The prelude's twins of the script's `CASES`, same arguments.
fn prelude_cases() -> Vec<(&'static str, Layer)> {
    vec![
        (
            "dense",
            Dense::new(64).activation("relu").name("dense_a").into(),
        ),
        (
            "dense_no_bias",
            Dense::new(3).use_bias(false).name("dense_b").into(),
        ),
        ("conv2d", Conv2D::new(8, 3).name("conv_a").into()),
        (
            "conv2d_options",
            Conv2D::new(8, (3, 5))
                .strides(2)
                .padding("same")
                .activation("relu")
                .use_bias(false)
                .name("conv_b")
                .into(),
        ),
        ("conv1d", Conv1D::new(4, 5).name("conv_c").into()),
        (
            "depthwise_conv2d",
            DepthwiseConv2D::new(3)
                .depth_multiplier(2)
                .name("dw")
                .into(),
        ),
        (
            "separable_conv2d",
            SeparableConv2D::new(4, 3)
                .padding("same")
                .name("sep")
                .into(),
        ),
        (
            "max_pooling2d",
            MaxPooling2D::default().name("pool_a").into(),
        ),
        (
            "max_pooling2d_strides",
            MaxPooling2D::new((3, 3))
                .strides(2)
                .padding("same")
                .name("pool_b")
                .into(),
        ),
        (
            "batch_normalization",
            BatchNormalization::new()
                .momentum(0.9)
                .epsilon(1e-5)
                .name("bn")
                .into(),
        ),
        ("dropout", Dropout::new(0.25).name("drop").into()),
        ("embedding", Embedding::new(10, 4).name("emb").into()),
        (
            "lstm",
            LSTM::new(5).return_sequences(true).name("lstm_a").into(),
        ),
        ("concatenate", Concatenate::new().name("cat").into()),
        ("reshape", Reshape::new([2, 3]).name("reshape_a").into()),
        ("flatten", Flatten::new().name("flat").into()),
        (
            "global_average_pooling2d",
            GlobalAveragePooling2D::new().name("gap").into(),
        ),
        (
            "global_max_pooling2d_keepdims",
            GlobalMaxPooling2D::new().keepdims(true).name("gmp").into(),
        ),
        (
            "zero_padding2d",
            ZeroPadding2D::new(((1, 2), (3, 4))).name("zp").into(),
        ),
        (
            "cropping2d",
            Cropping2D::new(((1, 1), (2, 0))).name("crop").into(),
        ),
        (
            "up_sampling2d",
            UpSampling2D::new((2, 3))
                .interpolation("bilinear")
                .name("up")
                .into(),
        ),
        ("activation", Activation::new("softmax").name("act").into()),
        ("relu", ReLU::new().max_value(6.0).name("relu6").into()),
        (
            "leaky_relu",
            LeakyReLU::new().negative_slope(0.2).name("lrelu").into(),
        ),
        (
            "rescaling",
            Rescaling::new(1.0 / 255.0).name("rescale").into(),
        ),
        ("repeat_vector", RepeatVector::new(3).name("repeat").into()),
        ("permute", Permute::new([2, 1]).name("perm").into()),
        ("add", Add::new().name("add_a").into()),
    ]
}

/// Every difference between two configs, as `path: ours vs Keras's` (numbers compared as
/// floats: Keras writes `1e-05`, serde `1e-5`).
fn differences(path: &str, ours: &Value, keras: &Value, out: &mut Vec<String>) {
    match (ours, keras) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let null = Value::Null;
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(&format!("{path}.{key}"), x, y, out),
                    (Some(_), None) => out.push(format!("{path}.{key}: only in ours")),
                    (None, Some(y)) => out.push(format!("{path}.{key}: missing (Keras: {y})")),
                    (None, None) => differences(path, &null, &null, out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
        _ if ours == keras => {}
        _ => out.push(format!("{path}: ours {ours} vs Keras {keras}")),
    }
}

#[test]
fn layer_configs_match_keras_field_by_field() {
    let keras = keras_configs();
    let mut problems = Vec::new();
    let cases = prelude_cases();
    for (case, layer) in &cases {
        let want = &keras[case];
        assert!(want.is_object(), "the script has no case {case}");
        differences(case, &layer.keras_config(), want, &mut problems);
    }
    assert_eq!(
        cases.len(),
        keras.as_object().unwrap().len(),
        "every case of the script has a twin here"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Keras's config read back gives the layer whose config is Keras's again.
#[test]
fn keras_configs_read_back_unchanged() {
    let keras = keras_configs();
    let mut problems = Vec::new();
    for (case, layer) in prelude_cases() {
        let saved = serde_json::json!({
            "module": "keras.layers",
            "class_name": layer.class_name(),
            "config": keras[case],
        });
        let back = layer_from_keras_config(&saved).unwrap_or_else(|e| panic!("{case}: {e}"));
        differences(case, &back.keras_config(), &keras[case], &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The comparison itself sees a missing field, an extra one and a changed nested value.
#[test]
fn differences_are_reported() {
    let ours = serde_json::json!({"units": 3, "extra": 1, "init": {"config": {"seed": null}}});
    let keras = serde_json::json!({"units": 3.0, "bias": true, "init": {"config": {"seed": 1}}});
    let mut found = Vec::new();
    differences("d", &ours, &keras, &mut found);
    found.sort();
    assert_eq!(
        found,
        vec![
            "d.bias: missing (Keras: true)",
            "d.extra: only in ours",
            "d.init.config.seed: ours null vs Keras 1",
        ]
    );
}
