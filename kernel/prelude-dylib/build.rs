//! Exports libtorch's C wrapper functions (torch-sys's `at_*`, `atg_*`, ...) from the shared
//! library.
//!
//! Why: a cell that calls a generic tch function (`Tensor::from_slice`, `Tensor::cat`, most
//! generated ops taking `impl Borrow<Tensor>`) instantiates it in the cell's own crate, so the
//! cell calls the C functions directly. They are compiled into this library from torch-sys's
//! static archive, but rustc's version script exports only Rust symbols, and the cell's
//! `dlopen` would fail with undefined `at_*` symbols. This extra version script makes those
//! C functions global; linkers merge it with rustc's, and the named patterns win over
//! rustc's `local: *`.

fn main() {
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let script = out_dir.join("torch-sys-exports.map");
    std::fs::write(
        &script,
        "{ global: at_*; atc_*; atg_*; ati_*; atm_*; ato_*; ats_*; thp_*; get_and_reset_last_err; };\n",
    )
    .expect("write version script");
    println!(
        "cargo:rustc-link-arg=-Wl,--version-script={}",
        script.display()
    );
    println!("cargo:rerun-if-changed=build.rs");
}
