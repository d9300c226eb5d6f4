//! One `fit`, `evaluate` and `predict` for tensors and datasets: on a `Dataset` pipeline
//! (targets `None`, as Keras's `model.fit(train_ds)`) they train and measure exactly as on
//! the same tensors; with the same seed and the same order, the loss history, the evaluation
//! and the predictions are identical.

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
    // A bare `None`: the targets are in the dataset's batches.
    let h_dataset = on_dataset.fit(&ds, None, opts()).unwrap();

    assert_eq!(h_tensors["loss"].len(), 4);
    assert_eq!(h_dataset["loss"], h_tensors["loss"]);
    assert_eq!(h_dataset["accuracy"], h_tensors["accuracy"]);
    // Training changed the weights, the same way in both.
    let before = model(5).predict(&x, Predict::default()).unwrap();
    let p_tensors = on_tensors.predict(&x, Predict::default()).unwrap();
    assert!(!p_tensors.equal(&before));
    assert!(on_dataset
        .predict(&x, Predict::default())
        .unwrap()
        .equal(&p_tensors));
    // And predicting from the dataset (batches of 8, not 32) gives the same, up to the
    // rounding of a matrix product over a different batch size.
    let p_source = on_dataset.predict(&ds, Predict::default()).unwrap();
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
        .fit(
            &train,
            None,
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

#[test]
fn evaluate_on_a_dataset_equals_evaluate_on_tensors() {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();
    let m = model(3);
    m.fit(&x, &y, opts()).unwrap();
    let quiet = || Evaluate {
        batch_size: 8,
        verbose: 0,
        ..Default::default()
    };
    let on_tensors = m.evaluate(&x, &y, quiet()).unwrap();
    let ds = Dataset::from_tensor_slices(&x, &y).unwrap().batch(8);
    let on_dataset = m.evaluate(&ds, None, quiet()).unwrap();
    for name in ["loss", "accuracy"] {
        let (a, b) = (on_tensors[name], on_dataset[name]);
        assert!((a - b).abs() < 1e-6, "{name}: tensors {a}, dataset {b}");
    }
    // A dataset may also be handed over: `model.evaluate(datagen.flow(…)?, None, …)`.
    let owned = m.evaluate(ds.clone(), None, quiet()).unwrap();
    assert_eq!(owned, on_dataset);
}

#[test]
fn fit_on_an_augmenting_flow_trains_like_any_dataset() {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    set_random_seed(2);
    let x = Tensor::rand([12, 4, 4, 1], (Kind::Float, Device::Cpu));
    let y = Tensor::arange(12, (Kind::Int64, Device::Cpu)).remainder(2);
    let m = Sequential::new()
        .add(Input::new([4, 4, 1]))
        .add(Flatten::new())
        .add(Dense::new(2).activation("softmax"));
    m.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
        .unwrap();
    let datagen = ImageDataGenerator {
        horizontal_flip: true,
        ..Default::default()
    };
    let flow = Flow {
        batch_size: 5,
        seed: Some(1),
        ..Default::default()
    };
    let steps = std::rc::Rc::new(std::cell::Cell::new(0));
    let seen = steps.clone();
    let counter = LambdaCallback::new().on_train_batch_end(move |_, _| seen.set(seen.get() + 1));
    let history = m
        .fit(
            datagen.flow(&x, Some(&y), flow).unwrap(),
            None,
            Fit {
                epochs: 2,
                verbose: 0,
                ..Default::default()
            }
            .callback(counter),
        )
        .unwrap();
    assert_eq!(history["loss"].len(), 2);
    // 12 images in batches of 5: 3 a pass, whatever Fit's batch_size.
    assert_eq!(steps.get(), 6);
}

#[test]
fn the_data_and_the_options_must_fit_together() {
    let _turn = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    let (x, y) = data();
    let m = model(1);
    let ds = Dataset::from_tensor_slices(&x, &y).unwrap().batch(8);
    let invalid = |r: Result<History>| match r {
        Err(Error::InvalidArgument(msg)) => msg,
        other => panic!("expected an invalid argument, got {other:?}"),
    };
    // A dataset carries its targets: y must be None.
    let msg = invalid(m.fit(&ds, &y, opts()));
    assert!(msg.contains("y must be None"), "{msg}");
    // Tensors need their targets.
    let msg = invalid(m.fit(&x, None, opts()));
    assert!(msg.contains("needs their targets"), "{msg}");
    // validation_split and sample_weight need tensors, as in Keras.
    let split = Fit {
        validation_split: 0.2,
        ..opts()
    };
    assert!(invalid(m.fit(&ds, None, split)).contains("validation_split"));
    let w = Tensor::ones([60], (Kind::Float, Device::Cpu));
    let weighted = Fit {
        sample_weight: Some(&w),
        ..opts()
    };
    assert!(invalid(m.fit(&ds, None, weighted)).contains("sample_weight"));
}
