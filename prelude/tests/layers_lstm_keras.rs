//! `LSTM` against Keras 3, from Keras's initial weights (tests/keras_reference/
//! lstm_embedding.py runs Keras with the venv's Python): an LSTM behind an Embedding, which
//! ferrokeras runs on its own CPU kernel when the batch has at least as many tokens as the
//! vocabulary (else on libtorch's LSTM), and an LSTM behind that one (libtorch's LSTM).
//! Predictions in batches that take either path, and one SGD step of fit.

mod common;

use common::KerasOutput;
use ferrokeras::prelude::*;

/// The model's nine weights under `prefix` (`w` before training, `after` after the step).
fn weights(k: &KerasOutput, prefix: &str) -> Vec<Tensor> {
    let n = k.printed["weights"].as_u64().unwrap() as usize;
    k.numbered(prefix, n)
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn embedding_lstm_matches_keras_in_predict_and_fit() {
    let k = KerasOutput::of("lstm_embedding.py", "lstm.npz");
    let (x, y) = (k.get("x"), k.get("y"));
    let (vocab, steps) = (11, x.size()[1]);
    let model = Sequential::new()
        .add(Input::new([steps]))
        .add(Embedding::new(vocab, 6))
        .add(LSTM::new(5).return_sequences(true))
        .add(LSTM::new(4))
        .add(Dense::new(vocab).activation("softmax"));
    let sgd = SGD {
        learning_rate: 0.5,
        ..Default::default()
    };
    model
        .compile(sgd, "sparse_categorical_crossentropy", ())
        .unwrap();
    model.set_weights(&weights(&k, "w")).unwrap();

    // A batch of 8 × 10 tokens takes the table path (vocabulary 11); one of 1 × 10 does not.
    let want = k.get("pred");
    for batch_size in [8, 1] {
        let pred = model
            .predict(
                &x,
                Predict {
                    batch_size,
                    verbose: 0,
                    ..Default::default()
                },
            )
            .unwrap();
        let d = max_diff(&pred, &want);
        println!("predict in batches of {batch_size}: max |ferrokeras - Keras| = {d:.2e}");
        assert!(d < 1e-6, "batch {batch_size}: {d}");
    }

    let fit = Fit {
        batch_size: 8,
        shuffle: false,
        verbose: 0,
        ..Default::default()
    };
    let history = model.fit(&x, &y, fit).unwrap();
    let (ours, theirs) = (history["loss"][0], k.printed["loss"].as_f64().unwrap());
    println!("loss: ferrokeras {ours:.8}, Keras {theirs:.8}");
    assert!((ours - theirs).abs() < 1e-6, "{ours} against {theirs}");
    for (i, (a, b)) in model
        .get_weights()
        .iter()
        .zip(weights(&k, "after"))
        .enumerate()
    {
        let d = max_diff(a, &b);
        println!("weight {i} after the step: max difference {d:.2e}");
        assert!(d < 1e-6, "weight {i}: {d}");
    }
}
