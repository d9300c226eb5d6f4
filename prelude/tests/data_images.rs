//! Image folders (JPEG and PNG made with the `image` crate, a corrupt JPEG, a text file),
//! `image_dataset_from_directory`, the TFDS-style loader, `load_img` and resizing.

use ferrokeras::prelude::*;
use ferrokeras::runtime::{set_settings, settings, Settings};
use std::path::Path;

/// A solid-colour image file; JPEG keeps solid colours within a level or two.
fn solid(path: &Path, w: u32, h: u32, rgb: [u8; 3]) {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(rgb));
    img.save(path).unwrap();
}

/// `dir/<class>/…`: cat has 3 JPEGs (red), dog 2 PNGs (blue), plus a corrupt JPEG and notes.
fn make_folder(dir: &Path) {
    for c in ["dog", "cat"] {
        std::fs::create_dir_all(dir.join(c)).unwrap();
    }
    for i in 0..3 {
        solid(
            &dir.join("cat").join(format!("c{i}.jpg")),
            20 + i,
            10,
            [200, 0, 0],
        );
    }
    for i in 0..2 {
        solid(
            &dir.join("dog").join(format!("d{i}.png")),
            8,
            16,
            [0, 0, 255],
        );
    }
    std::fs::write(
        dir.join("dog").join("broken.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    std::fs::write(dir.join("cat").join("notes.txt"), b"hello").unwrap();
}

#[test]
fn folder_scan_skips_corrupt_and_non_images_with_one_warning() {
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    }); // quick mode would cut these folders
    let d = tempfile::tempdir().unwrap();
    make_folder(d.path());
    let f = ImageFolder::scan(d.path(), None).unwrap();
    assert_eq!(f.class_names, vec!["cat", "dog"]);
    assert_eq!(f.files.len(), 5);
    assert_eq!(f.labels, vec![0, 0, 0, 1, 1]);
    assert_eq!(f.skipped.len(), 2);
    let w = f.warning().unwrap();
    assert!(
        w.starts_with(&format!(
            "Warning: skipped 2 of 7 files in {} that are not readable images: cat/notes.txt (not an image file), dog/broken.jpg (unreadable (",
            d.path().display()
        )),
        "{w}"
    );
}

#[test]
fn image_dataset_from_directory_shapes_values_and_split() {
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    }); // quick mode would cut these folders
    let d = tempfile::tempdir().unwrap();
    make_folder(d.path());
    let opts = ImageDatasetOptions {
        image_size: (6, 6),
        batch_size: Some(4),
        shuffle: false,
        ..Default::default()
    };
    let ds = image_dataset_from_directory(d.path(), opts.clone()).unwrap();
    assert_eq!(ds.class_names(), ["cat", "dog"]);
    assert_eq!(ds.len(), Some(2));
    let batches: Vec<_> = ds.iter().map(|b| b.unwrap()).collect();
    assert_eq!(batches[0].x().size(), vec![4, 6, 6, 3]);
    assert_eq!(batches[0].x().kind(), Kind::Float);
    assert_eq!(batches[1].x().size(), vec![1, 6, 6, 3]);
    let y: Vec<i64> = batches
        .iter()
        .flat_map(|b| Vec::<i64>::try_from(b.y().unwrap()).unwrap())
        .collect();
    assert_eq!(y, vec![0, 0, 0, 1, 1]);
    // red JPEG cats, blue PNG dogs (0–255 floats)
    assert!((batches[0].x().double_value(&[0, 3, 3, 0]) - 200.0).abs() <= 3.0);
    assert_eq!(batches[1].x().double_value(&[0, 3, 3, 2]), 255.0);
    assert_eq!(batches[1].x().double_value(&[0, 3, 3, 0]), 0.0);

    // seeded validation split: disjoint, 1 of 5 for validation, same on every call
    let split = |subset| {
        let o = ImageDatasetOptions {
            validation_split: Some(0.2),
            subset: Some(subset),
            seed: Some(3),
            batch_size: None,
            image_size: (4, 4),
            ..Default::default()
        };
        image_dataset_from_directory(d.path(), o).unwrap()
    };
    let (train, val) = (split(Subset::Training), split(Subset::Validation));
    assert_eq!((train.len(), val.len()), (Some(4), Some(1)));
    let (t2, v2) = image_dataset_from_directory_both(
        d.path(),
        ImageDatasetOptions {
            validation_split: Some(0.2),
            seed: Some(3),
            batch_size: None,
            image_size: (4, 4),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(v2
        .collect_tensors()
        .unwrap()
        .0
        .equal(&val.collect_tensors().unwrap().0));
    assert_eq!(t2.len(), Some(4));
    assert_eq!(
        train.iter().next().unwrap().unwrap().x().size(),
        vec![4, 4, 3]
    );
    let err = image_dataset_from_directory(
        d.path(),
        ImageDatasetOptions {
            validation_split: Some(0.2),
            subset: Some(Subset::Training),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "invalid argument: validation_split with shuffle needs a seed, so training and validation do not overlap");
    let cat = image_dataset_from_directory(
        d.path(),
        ImageDatasetOptions {
            label_mode: "categorical",
            ..opts
        },
    )
    .unwrap();
    let b = cat.iter().next().unwrap().unwrap();
    assert_eq!(b.y().unwrap().size(), vec![4, 2]);
}

#[test]
fn tfds_layout_with_fixed_class_order_and_slices() {
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    }); // quick mode would cut these folders
    let d = tempfile::tempdir().unwrap();
    let train = d.path().join("rock_paper_scissors").join("train");
    for (c, colour) in [
        ("rock", [255, 0, 0]),
        ("paper", [0, 255, 0]),
        ("scissors", [0, 0, 255]),
    ] {
        std::fs::create_dir_all(train.join(c)).unwrap();
        for i in 0..4 {
            solid(&train.join(c).join(format!("{i}.png")), 12 + i, 9, colour);
        }
    }
    let ds = tfds_load_from(d.path(), "rock_paper_scissors", "train").unwrap();
    assert_eq!(ds.class_names(), ["rock", "paper", "scissors"]);
    assert_eq!(ds.len(), Some(12));
    let mut per_class = [0; 3];
    for e in &ds {
        let e = e.unwrap();
        assert_eq!(e.x().kind(), Kind::Uint8);
        assert_eq!(e.x().size()[0], 9);
        let label = e.y().unwrap().int64_value(&[]);
        // label follows TFDS's order: rock red, paper green, scissors blue
        assert_eq!(e.x().int64_value(&[0, 0, label]), 255);
        per_class[label as usize] += 1;
    }
    assert_eq!(per_class, [4, 4, 4]);
    let first = tfds_load_from(d.path(), "rock_paper_scissors", "train[:25%]").unwrap();
    let rest = tfds_load_from(d.path(), "rock_paper_scissors", "train[25%:]").unwrap();
    assert_eq!((first.len(), rest.len()), (Some(3), Some(9)));
    let batched = ds
        .map(|x, y| Ok((resize_images(&x, (5, 5))? / 255.0, y)))
        .batch(8)
        .prefetch(1);
    let b = batched.iter().next().unwrap().unwrap();
    assert_eq!(b.x().size(), vec![8, 5, 5, 3]);
    assert!(b.x().max().double_value(&[]) <= 1.0 + 1e-5);
    let err = tfds_load_from(d.path(), "beans", "train")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("beans train split: file not found"),
        "{err}"
    );
    assert!(
        err.contains("classes: angular_leaf_spot, bean_rust, healthy"),
        "{err}"
    );
    // tfds_load_from never downloads: it names TFDS's archive instead.
    assert!(
        err.contains("https://storage.googleapis.com/ibeans/train.zip"),
        "{err}"
    );
}

#[test]
fn load_img_and_corrupt_jpeg_error() {
    set_settings(Settings {
        sample_limit: None,
        ..settings()
    }); // quick mode would cut these folders
    let d = tempfile::tempdir().unwrap();
    make_folder(d.path());
    let img = load_img(d.path().join("cat").join("c0.jpg"), None).unwrap();
    assert_eq!(img.size(), vec![10, 20, 3]);
    assert_eq!(img.kind(), Kind::Uint8);
    let small = load_img(d.path().join("cat").join("c0.jpg"), Some((5, 7))).unwrap();
    assert_eq!(small.size(), vec![5, 7, 3]);
    let arr = img_to_array(&small).unsqueeze(0);
    assert_eq!((arr.size(), arr.kind()), (vec![1, 5, 7, 3], Kind::Float));
    let bad = d.path().join("dog").join("broken.jpg");
    let err = load_img(&bad, None).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}: expected a readable JPEG or PNG image: ",
            bad.display()
        )),
        "{err}"
    );
}
