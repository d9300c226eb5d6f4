//! Callbacks: every hook, called in the order Keras 3 calls it over `fit` with validation
//! data, `evaluate` and `predict` — Keras's order recorded from Keras itself
//! (tests/keras_reference/callback_hooks.py, run with the venv's Python), not written here —
//! and Keras's callbacks: LearningRateScheduler, ReduceLROnPlateau, CSVLogger,
//! BackupAndRestore.

mod common;

use common::quiet;
use ferrokeras::callbacks::{EpochLogs, RunningLogs};
use ferrokeras::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};

/// libtorch's generator is process-wide: tests that train run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// A small regression problem and a model for it, compiled with SGD at `lr`.
fn problem(lr: f64) -> (Model, Tensor, Tensor) {
    tch::manual_seed(0);
    let x = Tensor::rand([32, 3], (Kind::Float, Device::Cpu));
    let y = x.sum_dim_intlist(1, true, Kind::Float);
    let model: Model = Sequential::new()
        .add(Input::new([3]))
        .add(Dense::new(4).activation("relu"))
        .add(Dense::new(1))
        .into();
    let sgd = SGD {
        learning_rate: lr,
        ..Default::default()
    };
    model.compile(sgd, "mse", ["mae"]).unwrap();
    (model, x, y)
}

/// Writes down each hook as the Python script does: `hook` or `hook:index`.
#[derive(Default)]
struct Recorder(Vec<String>);

impl Recorder {
    fn push(&mut self, hook: &str, index: Option<usize>) -> Result<()> {
        self.0.push(match index {
            Some(i) => format!("{hook}:{i}"),
            None => hook.to_string(),
        });
        Ok(())
    }
}

impl Callback for Recorder {
    fn on_train_begin(&mut self, _m: &Model) -> Result<()> {
        self.push("on_train_begin", None)
    }
    fn on_train_end(&mut self, _l: &EpochLogs, _m: &Model) -> Result<()> {
        self.push("on_train_end", None)
    }
    fn on_epoch_begin(&mut self, e: usize, _m: &Model) -> Result<()> {
        self.push("on_epoch_begin", Some(e))
    }
    fn on_epoch_end(&mut self, e: usize, _l: &mut EpochLogs, _m: &Model) -> Result<()> {
        self.push("on_epoch_end", Some(e))
    }
    fn on_train_batch_begin(&mut self, s: usize, _m: &Model) -> Result<()> {
        self.push("on_train_batch_begin", Some(s))
    }
    fn on_train_batch_end(&mut self, s: usize, _l: &dyn RunningLogs, _m: &Model) -> Result<()> {
        self.push("on_train_batch_end", Some(s))
    }
    fn on_test_begin(&mut self, _m: &Model) -> Result<()> {
        self.push("on_test_begin", None)
    }
    fn on_test_end(&mut self, _l: &EpochLogs, _m: &Model) -> Result<()> {
        self.push("on_test_end", None)
    }
    fn on_test_batch_begin(&mut self, s: usize, _m: &Model) -> Result<()> {
        self.push("on_test_batch_begin", Some(s))
    }
    fn on_test_batch_end(&mut self, s: usize, _l: &dyn RunningLogs, _m: &Model) -> Result<()> {
        self.push("on_test_batch_end", Some(s))
    }
    fn on_predict_begin(&mut self, _m: &Model) -> Result<()> {
        self.push("on_predict_begin", None)
    }
    fn on_predict_end(&mut self, _m: &Model) -> Result<()> {
        self.push("on_predict_end", None)
    }
    fn on_predict_batch_begin(&mut self, s: usize, _m: &Model) -> Result<()> {
        self.push("on_predict_batch_begin", Some(s))
    }
    fn on_predict_batch_end(&mut self, s: usize, _o: &[Tensor], _m: &Model) -> Result<()> {
        self.push("on_predict_batch_end", Some(s))
    }
}

#[test]
fn hooks_are_called_in_keras_order() {
    let _serial = serial();
    let keras: Vec<String> =
        serde_json::from_str(&common::run_keras("callback_hooks.py", &[])).unwrap();

    // The same sizes as the script: 10 examples in batches of 4, 6 for validation, 2 epochs.
    let opts = (Kind::Float, Device::Cpu);
    let (x, y) = (Tensor::rand([10, 3], opts), Tensor::rand([10, 1], opts));
    let (xv, yv) = (Tensor::rand([6, 3], opts), Tensor::rand([6, 1], opts));
    let model = Sequential::new().add(Input::new([3])).add(Dense::new(1));
    model.compile("sgd", "mse", ()).unwrap();
    let rec = Rc::new(RefCell::new(Recorder::default()));
    let fit = Fit {
        epochs: 2,
        batch_size: 4,
        verbose: 0,
        validation_data: Some((&xv, &yv).into()),
        ..Default::default()
    };
    model.fit(&x, &y, fit.callback(rec.clone())).unwrap();
    rec.borrow_mut().0.push("--evaluate--".into());
    let eval = Evaluate {
        batch_size: 4,
        verbose: 0,
        ..Default::default()
    };
    model
        .evaluate_opts(&xv, &yv, eval.callback(rec.clone()))
        .unwrap();
    rec.borrow_mut().0.push("--predict--".into());
    let predict = Predict {
        batch_size: 4,
        ..Default::default()
    };
    let _ = model
        .predict_opts(&xv, predict.callback(rec.clone()))
        .unwrap();

    let ours = rec.borrow().0.clone();
    assert_eq!(
        ours, keras,
        "ferrokeras's hook order (left) against Keras 3's (right)"
    );
}

#[test]
fn learning_rate_scheduler_sets_the_rate_and_logs_it() {
    let _serial = serial();
    let (model, x, y) = problem(0.1);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let seen_in = seen.clone();
    let schedule = LearningRateScheduler::new(move |epoch, lr| {
        seen_in.borrow_mut().push((epoch, lr));
        if epoch < 2 {
            lr
        } else {
            lr * 0.5
        }
    });
    let h = model.fit(&x, &y, quiet(4).callback(schedule)).unwrap();
    assert_eq!(h["learning_rate"], vec![0.1, 0.1, 0.05, 0.025]);
    assert_eq!(
        seen.borrow()[3],
        (3, 0.05),
        "the schedule gets the current rate"
    );
    assert_eq!(model.learning_rate().unwrap(), 0.025);
    assert_eq!(model.optimizer().unwrap().learning_rate(), 0.025);
}

#[test]
fn reduce_lr_on_plateau_reduces_after_patience() {
    let _serial = serial();
    let (model, x, y) = problem(0.1);
    // With so large a min_delta nothing improves after the first epoch.
    let reduce = ReduceLROnPlateau::new("loss")
        .min_delta(1e9)
        .patience(1)
        .factor(0.5)
        .min_lr(0.03);
    let h = model.fit(&x, &y, quiet(5).callback(reduce)).unwrap();
    assert_eq!(h["learning_rate"], vec![0.1, 0.1, 0.05, 0.03, 0.03]);
    let bad = ReduceLROnPlateau::new("loss").factor(1.5);
    assert!(model.fit(&x, &y, quiet(1).callback(bad)).is_err());
}

#[test]
fn csv_logger_writes_and_appends_whole_rows() {
    let _serial = serial();
    let (model, x, y) = problem(0.01);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.csv");
    let fit = |epochs, append| {
        Fit {
            validation_split: 0.25,
            ..quiet(epochs)
        }
        .callback(CSVLogger::new(&path).append(append))
    };
    let h = model.fit(&x, &y, fit(2, false)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    assert_eq!(lines[0], "epoch,loss,mae,val_loss,val_mae");
    assert_eq!(lines.len(), 3);
    let row: Vec<f64> = lines[2].split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!(row[0], 1.0);
    assert!((row[1] - h["loss"][1]).abs() < 1e-12, "{row:?}");
    // Appending keeps the rows and writes no second header; a new logger starts again.
    model.fit(&x, &y, fit(1, true)).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("epoch").count(), 1);
    assert_eq!(text.split_terminator("\r\n").count(), 4);
    assert!(text.ends_with("\r\n"));
    model.fit(&x, &y, fit(1, false)).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path)
            .unwrap()
            .split_terminator("\r\n")
            .count(),
        2
    );
}

/// Each epoch begun, with the weights at its start.
type Starts = Rc<RefCell<Vec<(usize, Vec<Tensor>)>>>;

/// Records the epochs begun, with the weights at their start.
struct EpochStarts(Starts);
impl Callback for EpochStarts {
    fn on_epoch_begin(&mut self, epoch: usize, model: &Model) -> Result<()> {
        self.0.borrow_mut().push((epoch, model.get_weights()));
        Ok(())
    }
}

/// Fails in the given epoch's end, as a crash would.
struct FailAt(usize);
impl Callback for FailAt {
    fn on_epoch_end(&mut self, epoch: usize, _l: &mut EpochLogs, _m: &Model) -> Result<()> {
        if epoch == self.0 {
            return Err(Error::InvalidArgument("simulated failure".into()));
        }
        Ok(())
    }
}

#[test]
fn backup_and_restore_resumes_a_failed_fit() {
    let _serial = serial();
    let (model, x, y) = problem(0.01);
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("backup");
    // Epochs 0 and 1 finish and are backed up; the failure in epoch 2 comes after the backup
    // callback (it is first), so epoch 2 is backed up too.
    let first = quiet(5)
        .callback(BackupAndRestore::new(&backup))
        .callback(FailAt(2));
    assert!(model.fit(&x, &y, first).is_err());
    assert!(
        backup.join("training_metadata.json").is_file(),
        "kept after a failure"
    );
    let saved = model.get_weights();
    // A fresh model resumes from the backup: epochs 3 and 4 only, from the saved weights.
    let (again, _, _) = problem(0.01);
    let starts = Rc::new(RefCell::new(Vec::new()));
    let resumed = quiet(5)
        .callback(BackupAndRestore::new(&backup))
        .callback(EpochStarts(starts.clone()));
    let h = again.fit(&x, &y, resumed).unwrap();
    let starts = starts.borrow();
    assert_eq!(starts.iter().map(|s| s.0).collect::<Vec<_>>(), vec![3, 4]);
    assert!(
        common::same(&starts[0].1, &saved),
        "epoch 3 starts from the backup's weights"
    );
    assert_eq!(h.epochs(), 2);
    assert!(!backup.exists(), "deleted when fit ends normally");
    assert!(
        !common::same(&again.get_weights(), &saved),
        "trained on from the backup"
    );
}
