//! Keras's augmentation layers inside models: active in `fit`, the identity in `predict` and
//! `evaluate`, no parameters, saved and loaded with the model.

mod common;

use common::{fit_quietly, quiet};
use ferrokeras::prelude::*;

/// One asymmetric 1×4 grey image, a horizontal ramp: its mirror is different.
fn ramp(n: i64) -> Tensor {
    Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0])
        .reshape([1, 1, 4, 1])
        .repeat([n, 1, 1, 1])
}

/// Flip → Flatten → a frozen Dense that reads the first pixel.
fn first_pixel_model(flip: RandomFlip) -> Model {
    let model = Sequential::new()
        .add(Input::new([1, 4, 1]))
        .add(flip)
        .add(Flatten::new())
        .add(Dense::new(1).use_bias(false).trainable(false));
    model.build().unwrap();
    let dense = model.get_layer(2).unwrap();
    dense
        .set_weights(&[Tensor::from_slice(&[1.0f32, 0.0, 0.0, 0.0]).reshape([4, 1])])
        .unwrap();
    model.compile("sgd", "mse", ()).unwrap();
    (*model).clone()
}

#[test]
fn seeded_flip_changes_an_asymmetric_image_in_training_only() {
    let x = ramp(1);
    let flip = RandomFlip::new("horizontal").seed(3);
    // Some of 8 draws of a seeded flip mirror the image, never in inference.
    let mut flipped = 0;
    for _ in 0..8 {
        let y = flip.forward(&x, true).unwrap();
        if !y.equal(&x) {
            assert!(y.equal(&x.flip([2])));
            flipped += 1;
        }
        assert!(flip.forward(&x, false).unwrap().equal(&x));
    }
    assert!(flipped > 0);
    // As a layer handle, `call` is inference.
    let layer: Layer = RandomFlip::new("horizontal").seed(3).into();
    assert!(layer.call(&x).unwrap().equal(&x));
}

#[test]
fn fit_sees_flipped_images_predict_and_evaluate_do_not() {
    let x = ramp(16);
    let y = Tensor::ones([16, 1], (Kind::Float, Device::Cpu)); // the first pixel
    let model = first_pixel_model(RandomFlip::new("horizontal").seed(0));
    // Inference: the frozen Dense reads 1.0 exactly.
    assert!(model.predict(&x, Predict::default()).unwrap().equal(&y));
    assert_eq!(
        model
            .evaluate(
                &x,
                &y,
                Evaluate {
                    batch_size: 16,
                    verbose: 0,
                    ..Default::default()
                }
            )
            .unwrap()
            .loss(),
        0.0
    );
    // Training: flipped images show 4.0 in the first pixel, so the loss is not 0.
    let h = model
        .fit(
            &x,
            &y,
            Fit {
                batch_size: 16,
                ..quiet(2)
            },
        )
        .unwrap();
    assert!(h["loss"].iter().all(|&l| l > 0.0), "{:?}", h["loss"]);
    assert!(model.predict(&x, Predict::default()).unwrap().equal(&y));
}

#[test]
fn augmentation_layers_have_no_params_in_summary() {
    let model = Sequential::new()
        .add(Input::new([8, 8, 3]))
        .add(RandomFlip::new("horizontal"))
        .add(RandomRotation::new(0.1))
        .add(RandomZoom::new(0.2).width_factor(0.1))
        .add(Flatten::new())
        .add(Dense::new(2));
    let s = model.summary();
    let rows: Vec<(&str, &str, i64)> = s
        .rows
        .iter()
        .map(|r| (r.layer.as_str(), r.output_shape.as_str(), r.params))
        .take(3)
        .collect();
    assert_eq!(
        rows,
        vec![
            ("random_flip (RandomFlip)", "(None, 8, 8, 3)", 0),
            ("random_rotation (RandomRotation)", "(None, 8, 8, 3)", 0),
            ("random_zoom (RandomZoom)", "(None, 8, 8, 3)", 0),
        ]
    );
    assert_eq!(s.total_params, 8 * 8 * 3 * 2 + 2);
}

#[test]
fn a_model_with_augmentation_layers_saves_and_loads() {
    let model = Sequential::new()
        .add(Input::new([6, 6, 1]))
        .add(
            RandomFlip::new("horizontal_and_vertical")
                .seed(7)
                .name("flip"),
        )
        .add(
            RandomRotation::with_range((-0.2, 0.1))
                .fill_mode("nearest")
                .seed(2),
        )
        .add(RandomZoom::new(0.3).width_factor(0.2))
        .add(Flatten::new())
        .add(Dense::new(3).activation("softmax"));
    model
        .compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        .unwrap();
    let x = Tensor::rand([10, 6, 6, 1], (Kind::Float, Device::Cpu));
    let y = Tensor::from_slice(&[0i64, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    fit_quietly(&model, &x, &y, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("aug.safetensors");
    model.save(&path).unwrap();
    let again = load_model(&path).unwrap();
    let classes: Vec<&str> = again.layers().iter().map(|l| l.class_name()).collect();
    assert_eq!(
        classes,
        vec![
            "RandomFlip",
            "RandomRotation",
            "RandomZoom",
            "Flatten",
            "Dense"
        ]
    );
    assert_eq!(again.get_layer("flip").unwrap().class_name(), "RandomFlip");
    assert_eq!(
        again.layers()[1].config()["config"],
        model.layers()[1].config()["config"]
    );
    assert!(again
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&model.predict(&x, Predict::default()).unwrap()));
}
