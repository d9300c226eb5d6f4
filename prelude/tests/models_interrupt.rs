//! An interrupt from the kernel stops `fit` after the current batch and returns the history
//! so far, keeping the weights, and stops a dataset's iteration. (Its own test binary with one
//! test: the flag file's name is read once per process, and the flag is process-wide.)

use ferrokeras::callbacks::EpochLogs;
use ferrokeras::prelude::*;
use ferrokeras::runtime::{set_settings, settings, Settings};
use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;

/// Records the hooks an interrupted `fit` calls at its end.
struct Told(Rc<RefCell<Vec<String>>>);
impl Callback for Told {
    fn on_epoch_end(&mut self, e: usize, _l: &mut EpochLogs, _m: &Model) -> Result<()> {
        self.0.borrow_mut().push(format!("on_epoch_end:{e}"));
        Ok(())
    }
    fn on_epoch_interrupted(&mut self, e: usize, logs: &EpochLogs, _m: &Model) -> Result<()> {
        assert!(logs["loss"].is_finite());
        self.0
            .borrow_mut()
            .push(format!("on_epoch_interrupted:{e}"));
        Ok(())
    }
    fn on_train_end(&mut self, _l: &EpochLogs, _m: &Model) -> Result<()> {
        self.0.borrow_mut().push("on_train_end".into());
        Ok(())
    }
}

#[test]
fn interrupt_stops_fit_and_keeps_weights() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("interrupt");
    set_settings(Settings {
        interrupt_file: Some(PathBuf::from(&flag)),
        ..settings()
    });
    // The flag follows the file.
    assert!(!interrupted());
    std::fs::write(&flag, b"").unwrap();
    assert!(interrupted());
    assert!(matches!(check_interrupt(), Err(Error::Interrupted)));
    std::fs::remove_file(&flag).unwrap();
    assert!(check_interrupt().is_ok());

    // A dataset's iteration stops with Interrupted.
    let xs = Tensor::arange(10, (Kind::Float, Device::Cpu));
    let ds = Dataset::from_tensor_slices(&xs, &xs).unwrap();
    let mut it = ds.iter();
    assert!(it.next().unwrap().is_ok());
    std::fs::write(&flag, b"").unwrap();
    assert!(matches!(it.next(), Some(Err(Error::Interrupted))));
    assert!(it.next().is_none());
    std::fs::remove_file(&flag).unwrap();

    let x = Tensor::randn([256, 4], (Kind::Float, Device::Cpu));
    let y = x
        .sum_dim_intlist(1, false, Kind::Float)
        .gt(0.0)
        .to_kind(Kind::Float);
    let model = Sequential::new()
        .add(Input::new([4]))
        .add(Dense::new(1).activation("sigmoid"));
    model
        .compile("sgd", "binary_crossentropy", ["accuracy"])
        .unwrap();
    let before = model.get_weights();
    std::fs::write(&flag, b"").unwrap();
    let told = Rc::new(RefCell::new(Vec::new()));
    let history = model
        .fit(
            &x,
            &y,
            Fit {
                epochs: 50,
                verbose: 1,
                ..Default::default()
            }
            .callback(Told(told.clone())),
        )
        .unwrap();
    assert_eq!(history.epochs(), 1, "stopped in the first epoch");
    // The user's callbacks hear of the interrupted epoch, then of the end of training.
    assert_eq!(*told.borrow(), ["on_epoch_interrupted:0", "on_train_end"]);
    assert!(history["loss"][0].is_finite());
    assert!(
        !model.get_weights()[0].equal(&before[0]),
        "the batch that ran was kept"
    );
    assert!(matches!(model.predict(&x), Err(Error::Interrupted)));
    std::fs::remove_file(&flag).unwrap();
    assert_eq!(model.predict(&x).unwrap().size(), vec![256, 1]);
}
