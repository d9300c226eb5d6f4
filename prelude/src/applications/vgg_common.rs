//! What VGG16 and VGG19 share: blocks of 3×3 convolutions and 2×2 max-pooling, the
//! `fc1`/`fc2`/`predictions` top, and Keras's published files.

use super::weights::{Published, Weights};
use super::{classifier, finish, pool};
use crate::error::{Error, Result};
use crate::layers::{Conv2D, Dense, Flatten, Input, MaxPooling2D};
use crate::models::Model;

/// The options of [`super::VGG16`] and [`super::VGG19`], as Keras's arguments.
pub(crate) struct VggSpec<'a> {
    pub family: &'static str,
    pub convs_per_block: [usize; 5],
    pub input_shape: Option<[i64; 3]>,
    pub include_top: bool,
    pub weights: &'a Weights,
    pub pooling: Option<&'static str>,
    pub classes: i64,
    pub classifier_activation: &'static str,
    pub name: Option<String>,
    /// Keras's hashes of the files with and without the top.
    pub hashes: (&'static str, &'static str),
}

pub(crate) fn build(spec: VggSpec) -> Result<Model> {
    let [rows, cols, channels] = spec.input_shape.unwrap_or([224, 224, 3]);
    if channels != 3 || rows < 32 || cols < 32 || (spec.include_top && (rows, cols) != (224, 224)) {
        return Err(Error::InvalidArgument(format!(
            "{}: input_shape must be [rows, cols, 3] with rows and cols at least 32 (exactly 224 with the top), got [{rows}, {cols}, {channels}]",
            spec.family.to_uppercase()
        )));
    }
    let inputs = Input::new([rows, cols, channels]);
    let mut x = inputs.clone();
    for (b, &n) in spec.convs_per_block.iter().enumerate() {
        let filters = [64, 128, 256, 512, 512][b];
        for c in 1..=n {
            x = Conv2D::new(filters, 3)
                .activation("relu")
                .padding("same")
                .name(format!("block{}_conv{c}", b + 1))
                .call(&x)?;
        }
        x = MaxPooling2D::new(2)
            .strides(2)
            .name(format!("block{}_pool", b + 1))
            .call(&x)?;
    }
    let x = if spec.include_top {
        let x = Flatten::new().name("flatten").call(&x)?;
        let x = Dense::new(4096).activation("relu").name("fc1").call(&x)?;
        let x = Dense::new(4096).activation("relu").name("fc2").call(&x)?;
        classifier(&x, spec.classes, spec.classifier_activation, spec.weights)?
    } else {
        pool(&x, spec.pooling, None)?
    };
    let name = spec.name.clone().unwrap_or_else(|| spec.family.into());
    let family = spec.family;
    let published = || {
        let (file, hash) = if spec.include_top {
            (
                format!("{family}_weights_tf_dim_ordering_tf_kernels.h5"),
                spec.hashes.0,
            )
        } else {
            (
                format!("{family}_weights_tf_dim_ordering_tf_kernels_notop.h5"),
                spec.hashes.1,
            )
        };
        Ok(Published {
            what: format!("{} ImageNet weights", family.to_uppercase()),
            url: format!(
                "https://storage.googleapis.com/tensorflow/keras-applications/{family}/{file}"
            ),
            file,
            hash: Some(hash),
        })
    };
    finish(&inputs, &x, &name, spec.weights, published)
}
