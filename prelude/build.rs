//! Compiles the prelude's C++ files against the libtorch that torch-sys links (the same
//! headers, C++ standard, ABI and OpenMP runtime as torch-sys's own C++ wrapper), for what tch
//! cannot do in Rust: `csrc/lstm_cpu.cpp`, an LSTM with its own backward for the CPU, and
//! `csrc/grad.cpp`, clearing a gradient.

use std::env;
use std::path::PathBuf;

fn main() {
    const SOURCES: [&str; 2] = ["csrc/lstm_cpu.cpp", "csrc/grad.cpp"];
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    // torch-sys (`links = "tch"`) tells its dependents where libtorch's libraries are.
    let lib = PathBuf::from(
        env::var("DEP_TCH_LIBTORCH_LIB").expect("torch-sys passes DEP_TCH_LIBTORCH_LIB"),
    );
    let root = lib
        .parent()
        .expect("libtorch's lib/ has a parent")
        .to_path_buf();
    let include = root.join("include");
    let abi = env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_string());
    cc::Build::new()
        .cpp(true)
        .pic(true)
        .warnings(false)
        // The hot loops are in this file: optimised even in debug builds (tests, cells).
        .opt_level(3)
        .include(&include)
        .include(include.join("torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag("-fopenmp")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .files(SOURCES)
        .compile("ferrokeras_csrc");
}
