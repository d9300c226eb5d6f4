//! Dropping a model frees its weights: what a student re-running a model cell needs. (Its own
//! test binary: resident memory is process-wide.)

use ferrokeras::prelude::*;

/// The process's resident memory in bytes, from `/proc/self/statm`.
fn resident_bytes() -> i64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc");
    let pages: i64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    // SAFETY: sysconf only reads a system constant.
    pages * unsafe { libc_page_size() }
}

unsafe fn libc_page_size() -> i64 {
    extern "C" {
        fn sysconf(name: i32) -> i64;
    }
    const SC_PAGESIZE: i32 = 30;
    sysconf(SC_PAGESIZE)
}

/// 10,020,001 parameters (40 MB): a functional model with a merge, trained one step so the
/// optimizer holds state (two more copies) too. The big kernel is one 40 MB tensor, above
/// glibc's largest mmap threshold (32 MB), so freeing it returns the memory to the system.
fn big_model() -> (Model, i64) {
    let inputs = Input::new([1000]);
    let a = Dense::new(10_000).call(&inputs).unwrap();
    let s = Add::new().call(&[&a, &a]).unwrap();
    let out = Dense::new(1).call(&s).unwrap();
    let model = Model::new(&inputs, &out).unwrap();
    model.compile("adam", "mse", ()).unwrap();
    let x = Tensor::randn([8, 1000], (Kind::Float, Device::Cpu));
    let y = Tensor::randn([8, 1], (Kind::Float, Device::Cpu));
    model.train_on_batch(&x, &y).unwrap();
    let n = model.count_params();
    (model, n)
}

#[test]
fn building_and_dropping_fifty_big_models_frees_their_weights() {
    // One model first, so that libtorch's and the allocator's one-off memory is counted
    // before the baseline.
    let (model, params) = big_model();
    assert!(params > 10_000_000, "{params}");
    let model_bytes = params * 4;
    drop(model);
    let before = resident_bytes();
    for _ in 0..50 {
        let (model, _) = big_model();
        let seq = Sequential::new()
            .add(Input::new([1000]))
            .add(Dense::new(10_000));
        seq.build().unwrap();
        drop(seq);
        drop(model);
    }
    let grown = resident_bytes() - before;
    println!(
        "resident memory grew by {:.1} MB over 50 models of {:.1} MB (weights + Adam state)",
        grown as f64 / 1e6,
        model_bytes as f64 / 1e6
    );
    assert!(
        grown < model_bytes,
        "resident memory grew by {grown} bytes, more than one model ({model_bytes} bytes)"
    );
}
