//! Keras's `keras.utils`: `get_file`, `to_categorical`, the data cache directory and the
//! quick-mode switch.

pub(crate) mod atomic_file;
pub(crate) mod data_dir;
pub(crate) mod get_file;
pub(crate) mod image_folder;
pub(crate) mod image_io;
pub(crate) mod npz;
pub(crate) mod to_categorical;
pub(crate) mod zip_extract;

pub(crate) use atomic_file::write_atomic;
pub use data_dir::{data_dir, sample_limit};
pub use get_file::{get_file, sha256_file};
pub use image_folder::{
    image_dataset_from_directory, image_dataset_from_directory_both, ImageDatasetOptions,
    ImageFolder, Subset,
};
pub use image_io::{
    decode_image_bytes, img_to_array, load_img, load_img_with, save_img, LoadImgOptions,
};
pub use npz::{load_npz, save_npz};
pub use to_categorical::to_categorical;
