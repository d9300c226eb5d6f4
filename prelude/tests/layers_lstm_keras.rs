//! `LSTM` against Keras 3, from Keras's initial weights (tests/keras_reference/
//! lstm_embedding.py runs Keras with the venv's Python): an LSTM behind an Embedding, which
//! ferrokeras runs on its own CPU kernel when the batch has at least as many tokens as the
//! vocabulary (else on libtorch's LSTM), and an LSTM behind that one (libtorch's LSTM).
//! Predictions in batches that take either path, and one SGD step of fit.

mod common;

use ferrokeras::prelude::*;
use serde_json::Value;

struct Reference {
    out: Value,
    arrays: Vec<(String, Tensor)>,
}

impl Reference {
    fn get(&self, name: &str) -> Tensor {
        let found = self.arrays.iter().find(|(n, _)| n == name);
        found
            .unwrap_or_else(|| panic!("{name} not in Keras's file"))
            .1
            .shallow_clone()
    }
    fn weights(&self, prefix: &str) -> Vec<Tensor> {
        let n = self.out["weights"].as_u64().unwrap();
        (0..n).map(|i| self.get(&format!("{prefix}{i}"))).collect()
    }
}

fn keras() -> Reference {
    let dir = tempfile::tempdir().unwrap();
    let out = common::run_keras("lstm_embedding.py", &[dir.path().to_str().unwrap()]);
    Reference {
        out: serde_json::from_str(&out).unwrap(),
        arrays: load_npz(dir.path().join("lstm.npz")).unwrap(),
    }
}

fn max_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().max().double_value(&[])
}

#[test]
fn embedding_lstm_matches_keras_in_predict_and_fit() {
    let k = keras();
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
    model.set_weights(&k.weights("w")).unwrap();

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
    let (ours, theirs) = (history["loss"][0], k.out["loss"].as_f64().unwrap());
    println!("loss: ferrokeras {ours:.8}, Keras {theirs:.8}");
    assert!((ours - theirs).abs() < 1e-6, "{ours} against {theirs}");
    for (i, (a, b)) in model
        .get_weights()
        .iter()
        .zip(k.weights("after"))
        .enumerate()
    {
        let d = max_diff(a, &b);
        println!("weight {i} after the step: max difference {d:.2e}");
        assert!(d < 1e-6, "weight {i}: {d}");
    }
}
