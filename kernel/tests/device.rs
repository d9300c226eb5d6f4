//! The device a session computes on, over real ZeroMQ: `FERROKERAS_DEVICE=cuda` loads
//! libtorch's CUDA backend (so on a machine without a GPU a CUDA tensor fails with libtorch's
//! own "no NVIDIA driver" error, not with a CUDA backend that was never registered), and the
//! default `auto` keeps a machine without a driver on the CPU. `tch` is nameable in cells.

mod common;

use common::TestKernel;
use jupyter_protocol::ReplyStatus;

/// A cell that asks libtorch for a CUDA tensor, reporting libtorch's error.
const CUDA_TENSOR: &str = "let t = Tensor::f_zeros([1], (Kind::Float, Device::Cuda(0)))?;\nt";

#[tokio::test]
async fn cuda_setting_registers_libtorchs_cuda_backend() {
    let mut k = TestKernel::start_with(
        &[("FERROKERAS_STANDBY", "0"), ("FERROKERAS_DEVICE", "cuda")],
        None,
    )
    .await;
    assert!(k.execute("let kept = 7;").await.ok());
    let run = k.execute(CUDA_TENSOR).await;
    if std::path::Path::new("/proc/driver/nvidia/version").exists() {
        // A GPU machine: the tensor is made on the GPU.
        assert!(run.ok(), "{run:?}");
        assert!(
            run.result_text().unwrap_or_default().contains("cuda:0"),
            "{run:?}"
        );
        return;
    }
    let reply = run.reply.as_ref().expect("an execute_reply");
    assert_eq!(reply.status, ReplyStatus::Error, "{run:?}");
    let message = &run.errors.first().expect("an error output").evalue;
    assert!(
        message.contains("NVIDIA driver"),
        "libtorch's no-driver message expected: {message}"
    );
    assert!(
        !message.contains("Could not run"),
        "the CUDA backend was not registered: {message}"
    );
    // The session is intact, and tch can be named as its docs write it.
    let after = k
        .execute("(kept, tch::Cuda::device_count(), current_device())")
        .await;
    assert!(after.ok(), "{after:?}");
    assert_eq!(
        after.result_text().as_deref(),
        Some("(7, 0, Cuda(0))"),
        "{after:?}"
    );
}

#[tokio::test]
async fn auto_setting_without_a_driver_computes_on_the_cpu() {
    if std::path::Path::new("/proc/driver/nvidia/version").exists() {
        eprintln!("this machine has an NVIDIA driver: `auto` chooses CUDA here");
        return;
    }
    let mut k = TestKernel::start().await;
    let run = k
        .execute(
            "let model = Sequential::new().add(Input::new([3])).add(Dense::new(2));\n\
             model.build()?;\n\
             (current_device(), model.layers()[0].kernel()?.device(), tch::Cuda::is_available())",
        )
        .await;
    assert!(run.ok(), "{run:?}");
    assert_eq!(
        run.result_text().as_deref(),
        Some("(Cpu, Cpu, false)"),
        "{run:?}"
    );
}
