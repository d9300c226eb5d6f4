//! An interrupt from the kernel stops `fit` after the current batch and returns the history
//! so far, keeping the weights. (Its own test binary: the interrupt flag is process-wide.)

use ferrokeras::prelude::*;

#[test]
fn interrupt_stops_fit_and_keeps_weights() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("interrupt");
    std::env::set_var("FERROKERAS_INTERRUPT_FILE", &flag);
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
    let history = model
        .fit(
            &x,
            &y,
            Fit {
                epochs: 50,
                verbose: 1,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(history.epochs(), 1, "stopped in the first epoch");
    assert!(history["loss"][0].is_finite());
    assert!(
        !model.get_weights()[0].equal(&before[0]),
        "the batch that ran was kept"
    );
    assert!(matches!(model.predict(&x), Err(Error::Interrupted)));
    std::fs::remove_file(&flag).unwrap();
    assert_eq!(model.predict(&x).unwrap().size(), vec![256, 1]);
}
