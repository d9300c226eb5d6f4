//! A saved model whose layer config lacks a required option, or names a class the prelude
//! has no layer for, is an error that names the file, the class and the option, rather
//! than a layer silently made with a default (issue 22: `ConvN::from_config` used to make
//! a Conv2D of 1 filter when `filters` was missing). A file cut short or not a zip at all
//! names the file and that.

use ferrokeras::prelude::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;

/// A `.keras` archive of a small Conv2D model, saved by the prelude into `dir`.
fn saved_conv_model(dir: &Path) -> std::path::PathBuf {
    let model = Sequential::new()
        .add(Input::new([8, 8, 1]))
        .add(Conv2D::new(2, 3).name("conv"))
        .add(Flatten::new())
        .add(Dense::new(1));
    let path = dir.join("conv.keras");
    model.save(&path).unwrap();
    path
}

/// A copy of the archive at `from`, written to `to`, with its `config.json` edited by `edit`.
fn edit_config(from: &Path, to: &Path, mut edit: impl FnMut(&mut Value)) {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "config.json" {
            let mut config: Value = serde_json::from_slice(&bytes).unwrap();
            edit(&mut config);
            bytes = serde_json::to_vec(&config).unwrap();
        }
        out.start_file(name, zip::write::FileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

/// The config of the layer called `name` in a Sequential's Keras config.
fn layer_config<'a>(config: &'a mut Value, name: &str) -> &'a mut Value {
    config["config"]["layers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|l| l["config"]["name"] == name)
        .unwrap_or_else(|| panic!("no layer {name}"))
}

#[test]
fn a_conv2d_without_filters_names_the_class_the_option_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let saved = saved_conv_model(dir.path());
    let broken = dir.path().join("no_filters.keras");
    edit_config(&saved, &broken, |c| {
        let conv = layer_config(c, "conv");
        conv["config"].as_object_mut().unwrap().remove("filters");
    });
    let err = match load_model(&broken) {
        Ok(_) => panic!("a Conv2D without filters loaded"),
        Err(e) => e.to_string(),
    };
    for part in ["no_filters.keras", "Conv2D", "'filters'"] {
        assert!(err.contains(part), "{part} not in: {err}");
    }
    // The file as saved loads.
    load_model(&saved).unwrap();
}

#[test]
fn an_unknown_layer_class_names_the_class_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let saved = saved_conv_model(dir.path());
    let broken = dir.path().join("unknown_class.keras");
    edit_config(&saved, &broken, |c| {
        layer_config(c, "conv")["class_name"] = "Conv9D".into();
    });
    let err = match load_model(&broken) {
        Ok(_) => panic!("a Conv9D loaded"),
        Err(e) => e.to_string(),
    };
    for part in ["unknown_class.keras", "Conv9D"] {
        assert!(err.contains(part), "{part} not in: {err}");
    }
}

#[test]
fn a_truncated_or_non_zip_keras_file_names_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(saved_conv_model(dir.path())).unwrap();
    let truncated = dir.path().join("truncated.keras");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.path().join("garbage.keras");
    std::fs::write(&garbage, b"not a zip at all, just some bytes").unwrap();
    for (path, problem) in [(&truncated, "zip"), (&garbage, "does not start as a zip")] {
        let err = match load_model(path) {
            Ok(_) => panic!("{} loaded", path.display()),
            Err(e) => e,
        };
        assert!(matches!(err, Error::CorruptFile { .. }), "{err:?}");
        let err = err.to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains(problem), "{problem} not in: {err}");
    }
}
