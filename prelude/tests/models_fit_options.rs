//! `fit`'s `steps_per_epoch` and `validation_freq` do what Keras 3's do: the batches of each
//! epoch and the epochs that validate are Keras's own, recorded by
//! tests/keras_reference/fit_options.py (run with the venv's Python), not written here.

mod common;

use ferrokeras::callbacks::{EpochLogs, RunningLogs};
use ferrokeras::prelude::*;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// Counts the training batches of each epoch and notes the epochs whose logs hold `val_loss`.
#[derive(Default)]
struct Counter {
    per_epoch: Vec<usize>,
    validated: Vec<usize>,
}

impl Callback for Counter {
    fn on_epoch_begin(&mut self, _epoch: usize, _m: &Model) -> Result<()> {
        self.per_epoch.push(0);
        Ok(())
    }
    fn on_train_batch_end(&mut self, _s: usize, _l: &dyn RunningLogs, _m: &Model) -> Result<()> {
        *self.per_epoch.last_mut().expect("an epoch began") += 1;
        Ok(())
    }
    fn on_epoch_end(&mut self, epoch: usize, logs: &mut EpochLogs, _m: &Model) -> Result<()> {
        if logs.contains_key("val_loss") {
            self.validated.push(epoch);
        }
        Ok(())
    }
}

fn model() -> Sequential {
    let m = Sequential::new().add(Input::new([3])).add(Dense::new(1));
    m.compile("sgd", "mse", ()).unwrap();
    m
}

fn keras() -> Value {
    serde_json::from_str(&common::run_keras("fit_options.py", &[])).unwrap()
}

fn numbers(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|n| n.as_u64().expect("a number") as usize)
        .collect()
}

#[test]
fn steps_per_epoch_limits_and_continues_the_batches_as_keras_does() {
    let keras = keras();
    let cases = keras["steps"].as_object().expect("the cases");
    assert!(!cases.is_empty());
    for (case, want) in cases {
        let [n, batch_size, steps, epochs] = case
            .split('/')
            .map(|p| p.parse::<usize>().unwrap())
            .collect::<Vec<_>>()[..]
        else {
            panic!("case {case}");
        };
        let x = Tensor::rand([n as i64, 3], (Kind::Float, Device::Cpu));
        let y = Tensor::rand([n as i64, 1], (Kind::Float, Device::Cpu));
        let counter = Rc::new(RefCell::new(Counter::default()));
        let fit = Fit {
            epochs,
            batch_size,
            steps_per_epoch: Some(steps),
            shuffle: false,
            verbose: 0,
            ..Default::default()
        };
        let history = model().fit(&x, &y, fit.callback(counter.clone())).unwrap();
        assert_eq!(history.epochs(), epochs);
        assert_eq!(
            counter.borrow().per_epoch,
            numbers(want),
            "batches per epoch for {case} (examples/batch_size/steps_per_epoch/epochs)"
        );

        // A dataset of the same batches gives the same epochs.
        let ds = Dataset::from_tensor_slices(&x, &y)
            .unwrap()
            .batch(batch_size);
        let counter = Rc::new(RefCell::new(Counter::default()));
        let fit = Fit {
            epochs,
            steps_per_epoch: Some(steps),
            verbose: 0,
            ..Default::default()
        };
        model()
            .fit(&ds, None, fit.callback(counter.clone()))
            .unwrap();
        assert_eq!(counter.borrow().per_epoch, numbers(want), "dataset, {case}");
    }
}

#[test]
fn validation_freq_validates_every_nth_epoch_as_keras_does() {
    let keras = keras();
    let x = Tensor::rand([12, 3], (Kind::Float, Device::Cpu));
    let y = Tensor::rand([12, 1], (Kind::Float, Device::Cpu));
    let (xv, yv) = (x.narrow(0, 8, 4), y.narrow(0, 8, 4));
    let counter = Rc::new(RefCell::new(Counter::default()));
    let fit = Fit {
        epochs: 5,
        batch_size: 4,
        validation_data: Some((&xv, &yv).into()),
        validation_freq: 2,
        verbose: 0,
        ..Default::default()
    };
    let history = model()
        .fit(
            &x.narrow(0, 0, 8),
            &y.narrow(0, 0, 8),
            fit.callback(counter.clone()),
        )
        .unwrap();
    assert_eq!(counter.borrow().validated, numbers(&keras["validated"]));
    assert_eq!(
        history["val_loss"].len(),
        keras["val_loss_len"].as_u64().unwrap() as usize
    );
    assert_eq!(history["loss"].len(), 5);
}

#[test]
fn zero_steps_or_frequency_is_an_invalid_argument() {
    let x = Tensor::rand([4, 3], (Kind::Float, Device::Cpu));
    let y = Tensor::rand([4, 1], (Kind::Float, Device::Cpu));
    for fit in [
        Fit {
            steps_per_epoch: Some(0),
            ..common::quiet(1)
        },
        Fit {
            validation_freq: 0,
            ..common::quiet(1)
        },
    ] {
        let err = model().fit(&x, &y, fit).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
}
