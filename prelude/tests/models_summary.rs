//! The seed notebooks' models have Keras's output shapes and parameter counts, and
//! `summary()` prints Keras's table.

use ferrokeras::prelude::*;

fn counts(model: &Model) -> Vec<i64> {
    model.summary().rows.iter().map(|r| r.params).collect()
}

#[test]
fn mnist_mlp_summary_is_keras_table() {
    let model = Sequential::new()
        .add(Input::new([28, 28]))
        .add(Flatten::new().name("flatten"))
        .add(Dense::new(512).activation("relu").name("dense"))
        .add(Dense::new(10).activation("softmax").name("dense_1"));
    let s = model.summary();
    let text = s.to_string();
    let expected_rows = "\
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ flatten (Flatten)               │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 512)            │       401,920 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │         5,130 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 407,050 (1.55 MB)
 Trainable params: 407,050 (1.55 MB)
 Non-trainable params: 0 (0.00 B)";
    assert!(text.ends_with(expected_rows), "{text}");
    assert!(text.starts_with("Model: \"sequential"));
    let html = s.mime_bundle();
    assert!(html
        .get("text/html")
        .unwrap()
        .contains("<td style=\"text-align:right\">401,920</td>"));
}

#[test]
fn swedish_rps_cnn_on_100x100x3() {
    let model = Sequential::new()
        .add(Input::new([100, 100, 3]))
        .add(Conv2D::new(32, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Conv2D::new(64, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Conv2D::new(64, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Flatten::new())
        .add(Dense::new(64).activation("relu"))
        .add(Dense::new(3).activation("softmax"));
    let s = model.summary();
    assert_eq!(
        counts(&model),
        vec![896, 0, 18_496, 0, 36_928, 0, 0, 409_664, 195]
    );
    assert_eq!(s.rows[0].output_shape, "(None, 98, 98, 32)");
    assert_eq!(s.rows[6].output_shape, "(None, 6400)");
    assert_eq!(s.total_params, 466_179);
}

#[test]
fn danish_cifar_cnn_built_with_add() {
    let model = Sequential::new();
    model.add(
        Conv2D::new(32, (3, 3))
            .activation("relu")
            .input_shape([32, 32, 3]),
    );
    model.add(MaxPooling2D::new((2, 2)));
    model.add(Conv2D::new(64, (3, 3)).activation("relu"));
    model.add(MaxPooling2D::new((2, 2)));
    model.add(Conv2D::new(64, (3, 3)).activation("relu"));
    assert_eq!(model.summary().total_params, 56_320);
    assert_eq!(model.summary().rows[4].output_shape, "(None, 4, 4, 64)");
    model.add(Flatten::new());
    model.add(Dense::new(64).activation("relu"));
    model.add(Dense::new(10));
    let s = model.summary();
    assert_eq!(s.total_params, 122_570);
    assert_eq!(counts(&model)[6], 65_600);
}

#[test]
fn shakespeare_lstm_and_sign_language_cnn() {
    let text = Sequential::new()
        .add(Input::new([40]))
        .add(Embedding::new(39, 64))
        .add(LSTM::new(128))
        .add(Dense::new(39).activation("softmax"));
    assert_eq!(counts(&text), vec![2_496, 98_816, 5_031]);
    assert_eq!(text.summary().rows[0].output_shape, "(None, 40, 64)");

    let sign = Sequential::new()
        .add(Input::new([28, 28, 1]))
        .add(Conv2D::new(32, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Conv2D::new(64, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Flatten::new())
        .add(Dropout::new(0.5))
        .add(Dense::new(128).activation("relu"))
        .add(Dropout::new(0.3))
        .add(Dense::new(24).activation("softmax"));
    assert_eq!(sign.summary().total_params, 226_840);
}

#[test]
fn cars_model_and_batchnorm_non_trainable_counts() {
    let cars = Sequential::new()
        .add(Input::new([21]))
        .add(Dense::new(16).activation("sigmoid"))
        .add(Dense::new(4).activation("sigmoid"));
    assert_eq!(cars.summary().total_params, 420);

    let bn = Sequential::new()
        .add(Input::new([10]))
        .add(Dense::new(32).activation("relu"))
        .add(BatchNormalization::new())
        .add(Dense::new(1).activation("sigmoid"));
    let s = bn.summary();
    assert_eq!(s.total_params, 352 + 128 + 33);
    assert_eq!(s.non_trainable_params, 64);
    assert!(s
        .to_string()
        .contains(" Non-trainable params: 64 (256.00 B)"));
}

#[test]
fn functional_summary_has_an_input_row() {
    let inputs = Input::new([28, 28]);
    let x = Flatten::new().call(&inputs).unwrap();
    let x = Dense::new(128).activation("relu").call(&x).unwrap();
    let outputs = Dense::new(10).activation("softmax").call(&x).unwrap();
    let model = Model::new(&inputs, &outputs).unwrap();
    let s = model.summary();
    assert!(s.rows[0].layer.ends_with("(InputLayer)"));
    assert_eq!(s.rows[0].output_shape, "(None, 28, 28)");
    assert_eq!(s.total_params, 101_770);
}

#[test]
fn unbuilt_model_shows_question_marks() {
    let model = Sequential::new().add(Dense::new(8)).add(Dense::new(3));
    let s = model.summary();
    assert!(!s.built);
    assert_eq!(s.rows[0].output_shape, "?");
    assert!(s.to_string().contains("0 (unbuilt)"));
}

#[test]
fn optimizer_params_line_after_training() {
    let model = Sequential::new().add(Input::new([3])).add(Dense::new(2));
    model.compile("adam", "mse", ()).unwrap();
    assert_eq!(model.summary().optimizer_params, None);
    let x = Tensor::ones([4, 3], (Kind::Float, Device::Cpu));
    model
        .fit(
            &x,
            &Tensor::zeros([4, 2], (Kind::Float, Device::Cpu)),
            Fit {
                verbose: 0,
                ..Default::default()
            },
        )
        .unwrap();
    let s = model.summary();
    assert_eq!(s.optimizer_params, Some(2 * 8 + 2));
    assert_eq!(s.total_params, 8 + 18);
    assert!(
        s.to_string().ends_with(" Optimizer params: 18 (76.00 B)"),
        "{s}"
    );
}
