//! Keras's `keras.applications.imagenet_utils`: preprocessing modes and
//! `decode_predictions` (the 1000 ImageNet classes from Keras's `imagenet_class_index.json`).

use super::weights::Published;
use crate::error::{Error, Result};
use crate::runtime::{MimeBundle, Render};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use tch::{Kind, Tensor};

/// How images are scaled before a network sees them (Keras's `mode=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Scale `[0, 255]` to `[-1, 1]` (MobileNetV2, Inception).
    Tf,
    /// RGB to BGR, then subtract the ImageNet mean of each channel, unscaled (ResNet50, VGG).
    Caffe,
    /// Scale to `[0, 1]`, subtract the ImageNet mean and divide by its deviation, per channel.
    Torch,
}

/// The ImageNet mean of each channel that "caffe" preprocessing subtracts, in BGR order.
pub(crate) const CAFFE_MEAN_BGR: [f64; 3] = [103.939, 116.779, 123.68];

/// Keras's `imagenet_utils.preprocess_input(x, mode=…)` for a batch of channels-last images
/// `(…, height, width, 3)` with values in `[0, 255]`; returns a float tensor of the same shape.
///
/// ```
/// use ferrokeras::prelude::*;
/// use ferrokeras::applications::imagenet_utils::{preprocess_input, Mode};
/// let x = Tensor::from_slice(&[255.0f32, 0.0, 127.5]).reshape([1, 1, 1, 3]);
/// let tf = preprocess_input(&x, Mode::Tf);
/// assert_eq!(Vec::<f32>::try_from(tf.flatten(0, -1)).unwrap(), vec![1.0, -1.0, 0.0]);
/// ```
pub fn preprocess_input(x: &Tensor, mode: Mode) -> Tensor {
    let x = x.to_kind(Kind::Float);
    let device = x.device();
    let per_channel = |v: [f64; 3]| {
        Tensor::from_slice(&v)
            .to_kind(Kind::Float)
            .to_device(device)
    };
    match mode {
        Mode::Tf => x / 127.5 - 1.0,
        Mode::Caffe => {
            // BGR order, then the BGR means Keras subtracts.
            let bgr = x.flip([-1]);
            bgr - per_channel(CAFFE_MEAN_BGR)
        }
        Mode::Torch => {
            (x / 255.0 - per_channel([0.485, 0.456, 0.406])) / per_channel([0.229, 0.224, 0.225])
        }
    }
}

/// One row of [`decode_predictions`]: `(wnid, class name, score)` as Keras's tuples.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The WordNet id, e.g. `n02504458`.
    pub wnid: String,
    /// The class name, e.g. `African_elephant`.
    pub name: String,
    /// The model's score for the class.
    pub score: f64,
}

/// The top classes of each image of a batch; shows as a small table in a notebook.
/// `preds[i]` are image `i`'s rows, best first.
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions(pub Vec<Vec<Prediction>>);

impl std::ops::Index<usize> for Predictions {
    type Output = Vec<Prediction>;
    fn index(&self, i: usize) -> &Vec<Prediction> {
        &self.0[i]
    }
}

impl Predictions {
    /// How many images.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Predictions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, rows) in self.0.iter().enumerate() {
            writeln!(f, "image {i}:")?;
            for (r, p) in rows.iter().enumerate() {
                writeln!(f, "  {}. {} ({}) {:.4}", r + 1, p.name, p.wnid, p.score)?;
            }
        }
        Ok(())
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Render for Predictions {
    fn mime_bundle(&self) -> MimeBundle {
        let mut html = String::from(
            "<table><thead><tr><th>image</th><th>rank</th><th>class</th><th>wnid</th><th>score</th></tr></thead><tbody>",
        );
        for (i, rows) in self.0.iter().enumerate() {
            for (r, p) in rows.iter().enumerate() {
                html.push_str(&format!(
                    "<tr><td>{i}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td></tr>",
                    r + 1,
                    escape(&p.name),
                    escape(&p.wnid),
                    p.score
                ));
            }
        }
        html.push_str("</tbody></table>");
        MimeBundle::text(self.to_string()).with_html(html)
    }
}

/// Keras's published class index: `{"0": ["n01440764", "tench"], …}`.
fn class_index_file() -> Published {
    Published {
        what: "ImageNet class index".into(),
        file: "imagenet_class_index.json".into(),
        url:
            "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
                .into(),
        hash: Some("c2c37ea517e94d9795004a39431a14cb"),
    }
}

/// Reads a class index in Keras's JSON format (`{"0": ["n01440764", "tench"], …}`).
pub fn load_class_index(path: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let corrupt = |why: String| Error::CorruptFile {
        path: path.to_path_buf(),
        expected: format!(
            "Keras's class index JSON, {{\"0\": [\"n01440764\", \"tench\"], …}} ({why})"
        ),
    };
    let map: HashMap<String, (String, String)> =
        serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    let mut out = vec![None; map.len()];
    for (k, v) in map {
        let i: usize = k
            .parse()
            .map_err(|_| corrupt(format!("key '{k}' is not an index")))?;
        let slot = out
            .get_mut(i)
            .ok_or_else(|| corrupt(format!("index {i} is past the {} classes", map_len(&text))))?;
        *slot = Some(v);
    }
    Ok(out.into_iter().map(Option::unwrap_or_default).collect())
}

fn map_len(text: &str) -> usize {
    serde_json::from_str::<HashMap<String, serde_json::Value>>(text).map_or(0, |m| m.len())
}

/// Keras's `decode_predictions(preds, top)`: for each row of `preds` `(batch, classes)`, the
/// `top` classes with the highest scores, best first, named from Keras's
/// `imagenet_class_index.json` (downloaded once into the cache's `models/` folder).
pub fn decode_predictions(preds: &Tensor, top: usize) -> Result<Predictions> {
    let path = class_index_file().path()?;
    decode_predictions_with(preds, top, &load_class_index(&path)?)
}

/// [`decode_predictions`] with a class index already read (see [`load_class_index`]); the
/// index must have as many classes as `preds` has columns.
pub fn decode_predictions_with(
    preds: &Tensor,
    top: usize,
    classes: &[(String, String)],
) -> Result<Predictions> {
    let size = preds.size();
    if size.len() != 2 || size[1] != classes.len() as i64 {
        return Err(Error::InvalidArgument(format!(
            "decode_predictions expects a batch of predictions of shape (samples, {}), got {size:?}",
            classes.len()
        )));
    }
    let top = top.min(classes.len());
    let preds = preds.to_kind(Kind::Double).to_device(tch::Device::Cpu);
    let (values, indices) = preds.topk(top as i64, 1, true, true);
    let mut out = Vec::with_capacity(size[0] as usize);
    for r in 0..size[0] {
        let vs = Vec::<f64>::try_from(values.get(r))?;
        let is = Vec::<i64>::try_from(indices.get(r))?;
        out.push(
            is.iter()
                .zip(vs)
                .map(|(&i, score)| {
                    let (wnid, name) = classes[i as usize].clone();
                    Prediction { wnid, name, score }
                })
                .collect(),
        );
    }
    Ok(Predictions(out))
}
