//! Transfer learning: a frozen base model under a new head, then fine-tuning, then saving.

mod common;

use common::{fit_quietly, same};
use ferrokeras::prelude::*;

#[test]
fn frozen_base_model_under_a_new_head_then_fine_tuning() {
    let base = Sequential::new()
        .add(Input::new([12, 12, 3]))
        .add(Conv2D::new(4, 3).activation("relu"))
        .add(Conv2D::new(6, 3).activation("relu"));
    base.set_trainable(false);
    let model = Sequential::new()
        .add(Input::new([12, 12, 3]))
        .add(base.clone())
        .add(GlobalAveragePooling2D::new())
        .add(Dense::new(1).activation("sigmoid"));
    let s = model.summary();
    assert_eq!(s.rows[0].layer, format!("{} (Sequential)", base.name()));
    assert_eq!(s.rows[0].output_shape, "(None, 8, 8, 6)");
    assert_eq!(s.non_trainable_params, 112 + 222);
    assert_eq!(s.trainable_params, 7);
    let x = Tensor::rand([16, 12, 12, 3], (Kind::Float, Device::Cpu));
    let y = Tensor::randint(2, [16], (Kind::Float, Device::Cpu));
    model
        .compile("adam", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let base_before = base.get_weights();
    fit_quietly(&model, &x, &y, 2);
    assert!(same(&base.get_weights(), &base_before));
    // Fine-tune: unfreeze the base except its first layer.
    base.set_trainable(true);
    base.layers()[0].set_trainable(false);
    assert_eq!(model.summary().non_trainable_params, 112);
    fit_quietly(&model, &x, &y, 1);
    let after = base.get_weights();
    assert!(after[0].equal(&base_before[0]) && !after[2].equal(&base_before[2]));

    // The whole thing saves and loads, nested base and frozen layer included.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transfer.safetensors");
    model.save(&path).unwrap();
    let loaded = load_model(&path).unwrap();
    assert!(loaded
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&model.predict(&x, Predict::default()).unwrap()));
    assert_eq!(loaded.summary().non_trainable_params, 112);
    assert_eq!(loaded.layers()[0].class_name(), "Sequential");
}
