//! `fit` on a `Dataset` pipeline trains exactly as `fit` on the same tensors: with the same
//! seed and the same order, the loss history and the predictions are identical.

use ferrokeras::prelude::*;
use std::sync::Mutex;

/// libtorch's random generator is global to the process: the tests here take turns.
static SEEDED: Mutex<()> = Mutex::new(());

fn data() -> (Tensor, Tensor) {
    set_random_seed(11);
    let x = Tensor::rand([60, 5], (Kind::Float, Device::Cpu));
    let y = x
        .sum_dim_intlist(1, false, Kind::Float)
        .gt(2.5)
        .to_kind(Kind::Int64);
    (x, y)
}

/// The same model with the same initial weights (and dropout draws) for the same seed.
fn model(seed: u64) -> Sequential {
    set_random_seed(seed);
    let m = Sequential::new()
        .add(Input::new([5]))
        .add(Dense::new(16).activation("relu"))
        .add(Dropout::new(0.2))
        .add(Dense::new(2).activation("softmax"));
    m.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        .unwrap();
    m
}

fn opts<'a>() -> Fit<'a> {
    Fit {
        epochs: 4,
        batch_size: 8,
        shuffle: false,
        verbose: 0,
        ..Default::default()
    }
}

#[test]
fn fit_on_a_batched_prefetched_dataset_equals_fit_on_tensors() {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();

    let on_tensors = model(5);
    let h_tensors = on_tensors.fit(&x, &y, opts()).unwrap();

    let on_dataset = model(5);
    let ds = Dataset::from_tensor_slices(&x, &y)
        .unwrap()
        .batch(8)
        .prefetch(2);
    let h_dataset = on_dataset.fit_source(&ds, opts()).unwrap();

    assert_eq!(h_tensors["loss"].len(), 4);
    assert_eq!(h_dataset["loss"], h_tensors["loss"]);
    assert_eq!(h_dataset["accuracy"], h_tensors["accuracy"]);
    // Training changed the weights, the same way in both.
    let before = model(5).predict(&x).unwrap();
    let p_tensors = on_tensors.predict(&x).unwrap();
    assert!(!p_tensors.equal(&before));
    assert!(on_dataset.predict(&x).unwrap().equal(&p_tensors));
    // And predicting from the dataset (batches of 8, not 32) gives the same, up to the
    // rounding of a matrix product over a different batch size.
    let p_source = on_dataset.predict_source(&ds).unwrap();
    let diff = (&p_source - &p_tensors).abs().max().double_value(&[]);
    assert!(diff < 1e-6, "max difference {diff}");
}

#[test]
fn validation_on_a_dataset_equals_validation_on_tensors() {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();
    let (xt, yt) = (x.narrow(0, 0, 48), y.narrow(0, 0, 48));
    let (xv, yv) = (x.narrow(0, 48, 12), y.narrow(0, 48, 12));

    let on_tensors = model(9);
    let h_tensors = on_tensors
        .fit(
            &xt,
            &yt,
            Fit {
                validation_data: Some((&xv, &yv).into()),
                ..opts()
            },
        )
        .unwrap();

    let on_dataset = model(9);
    let train = Dataset::from_tensor_slices(&xt, &yt)
        .unwrap()
        .batch(8)
        .prefetch(2);
    let val = Dataset::from_tensor_slices(&xv, &yv).unwrap().batch(8);
    let h_dataset = on_dataset
        .fit_source(
            &train,
            Fit {
                validation_data: Some((&val).into()),
                ..opts()
            },
        )
        .unwrap();

    assert_eq!(h_dataset["loss"], h_tensors["loss"]);
    assert_eq!(h_dataset["val_loss"], h_tensors["val_loss"]);
    assert_eq!(h_dataset["val_accuracy"], h_tensors["val_accuracy"]);
}
