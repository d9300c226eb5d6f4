//! Neural style transfer as Keras's own example does it (keras.io, "Neural style transfer",
//! after Gatys et al. 2015): the image is optimised so that VGG19's deep features match the
//! content image and the Gram matrices of its shallower features match the style image, with a
//! total-variation term for smoothness.
//!
//! The example's choices are kept: content layer `block5_conv2`, style layers
//! `block1_conv1` … `block5_conv1` (equal weights), content/style/total-variation weights
//! 2.5e-8 / 1e-6 / 1e-6, the style loss's `4 · 3² · size²` normaliser, SGD on the pixels with
//! a learning rate of 100 decaying by 0.96 every 100 steps, and the image starting as the
//! content image, everything in VGG19's "caffe" input space (`vgg19::preprocess_input`).

use super::imagenet_utils::CAFFE_MEAN_BGR;
use super::vgg19::{self, VGG19};
use super::weights::Weights;
use crate::error::{Error, Result};
use crate::models::Model;
use crate::plot::Figure;
use crate::runtime::{display, interrupted};
use tch::{Kind, Tensor};

/// Style transfer's options; `Default` is Keras's example, with fewer steps (it runs 4,000).
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// # fn main() -> ferrokeras::Result<()> {
/// let content = load_img("paris.jpg", None)?;
/// let style = load_img("starry_night.jpg", None)?;
/// let image = style_transfer(&content, &style, StyleTransfer { steps: 200, ..Default::default() })?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct StyleTransfer {
    /// Optimisation steps (Keras's example: 4,000; each is a VGG19 forward and backward pass
    /// of three images).
    pub steps: usize,
    /// The height the images are resized to; the width keeps the content image's aspect
    /// ratio (Keras's example: 400).
    pub image_rows: i64,
    /// Weight of the content loss (2.5e-8).
    pub content_weight: f64,
    /// Weight of the style loss, shared equally by the style layers (1e-6).
    pub style_weight: f64,
    /// Weight of the total-variation loss (1e-6).
    pub total_variation_weight: f64,
    /// SGD's initial learning rate (100), multiplied by 0.96 every 100 steps.
    pub learning_rate: f64,
    /// VGG19's weights without the top: ImageNet's (Keras's published file), or a file.
    pub weights: Weights,
    /// Update the picture shown in the notebook every this many steps (0: only at the end).
    pub show_every: usize,
}

impl Default for StyleTransfer {
    fn default() -> Self {
        StyleTransfer {
            steps: 100,
            image_rows: 400,
            content_weight: 2.5e-8,
            style_weight: 1e-6,
            total_variation_weight: 1e-6,
            learning_rate: 100.0,
            weights: Weights::Imagenet,
            show_every: 10,
        }
    }
}

const CONTENT_LAYER: &str = "block5_conv2";
const STYLE_LAYERS: [&str; 5] = [
    "block1_conv1",
    "block2_conv1",
    "block3_conv1",
    "block4_conv1",
    "block5_conv1",
];

/// Paints `content` in the style of `style` and returns the image with the lowest loss,
/// `(rows, cols, 3)` `u8`.
///
/// Both images are `(H, W, 3)` (or `(1, H, W, 3)`) RGB, `u8` 0–255 as [`load_img`] gives them
/// or float 0–1, as `imshow` takes them. While it runs, the notebook shows the image so far
/// with its step and loss, updated in place every `show_every` steps. An interrupt (the stop
/// button) ends it after the current step and returns the best image so far.
///
/// [`load_img`]: crate::utils::load_img
pub fn style_transfer(content: &Tensor, style: &Tensor, options: StyleTransfer) -> Result<Tensor> {
    let mut shown = None;
    let steps = options.steps;
    let every = options.show_every;
    let run = optimise(content, style, &options, |step, loss, image| {
        let title = format!("step {step}/{steps}");
        let figure = picture(&deprocess(image), &title, Some(loss));
        match &shown {
            None => shown = Some(display(&figure)),
            Some(handle) if (every > 0 && step % every == 0) || step == steps => {
                handle.update(&figure)
            }
            Some(_) => {}
        }
    })?;
    let image = deprocess(&run.best);
    if run.losses.len() < steps {
        let title = format!(
            "stopped by an interrupt after {} of {steps} steps: the best image so far",
            run.losses.len()
        );
        let figure = picture(&image, &title, Some(run.best_loss));
        match &shown {
            Some(handle) => handle.update(&figure),
            None => {
                display(&figure);
            }
        }
    }
    Ok(image)
}

/// What an optimisation run ended with.
struct Run {
    /// The image with the lowest loss, in VGG19's input space `(1, rows, cols, 3)`.
    best: Tensor,
    best_loss: f64,
    /// The loss before each step that ran.
    losses: Vec<f64>,
}

/// The optimisation loop; `on_step(step, loss, image)` after each step. Stops early, keeping
/// the best image, when the cell is interrupted.
fn optimise(
    content: &Tensor,
    style: &Tensor,
    options: &StyleTransfer,
    mut on_step: impl FnMut(usize, f64, &Tensor),
) -> Result<Run> {
    let content = to_rgb255(content, "content")?;
    let style = to_rgb255(style, "style")?;
    let (h, w) = (content.size()[0], content.size()[1]);
    let rows = options.image_rows.max(32);
    let cols = ((w as f64 * rows as f64 / h as f64).round() as i64).max(32);
    let base = caffe(&content, rows, cols)?;
    let style_ref = caffe(&style, rows, cols)?;
    let features = feature_extractor(&options.weights, rows, cols)?;
    // The content and style images' features never change: computed once, not in every step
    // as the example's batch of three does (a third of the work per step, the same loss).
    let targets = tch::no_grad(|| -> Result<Targets> {
        let base_features = features.call_outputs(&base)?;
        let style_features = features.call_outputs(&style_ref)?;
        Ok(Targets {
            content: base_features[0].get(0),
            style_grams: style_features[1..]
                .iter()
                .map(|f| gram_matrix(&f.get(0)))
                .collect(),
        })
    })?;
    let mut image = base.copy().set_requires_grad(true);
    let mut run = Run {
        best: base.copy(),
        best_loss: f64::INFINITY,
        losses: Vec::new(),
    };
    for step in 1..=options.steps {
        if interrupted() {
            break;
        }
        let outputs = features.call_outputs(&image)?;
        let loss = total_loss(&targets, &outputs, &image, options, rows, cols);
        image.zero_grad();
        loss.backward();
        let value = loss.double_value(&[]);
        if value < run.best_loss {
            run.best_loss = value;
            run.best = image.detach().copy();
        }
        run.losses.push(value);
        // Keras's ExponentialDecay(100.0, decay_steps=100, decay_rate=0.96), staircase off.
        let lr = options.learning_rate * 0.96f64.powf((step - 1) as f64 / 100.0);
        tch::no_grad(|| {
            let _ = image.g_sub_(&(image.grad() * lr));
        });
        on_step(step, value, &image.detach());
    }
    Ok(run)
}

/// VGG19 without the top, as a model whose outputs are the content layer's and then the style
/// layers' activations.
fn feature_extractor(weights: &Weights, rows: i64, cols: i64) -> Result<Model> {
    let vgg = VGG19 {
        input_shape: Some([rows, cols, 3]),
        include_top: false,
        weights: weights.clone(),
        ..Default::default()
    }
    .build()?;
    let mut outputs = vec![vgg.get_layer(CONTENT_LAYER)?.output()?];
    for name in STYLE_LAYERS {
        outputs.push(vgg.get_layer(name)?.output()?);
    }
    vgg.set_trainable(false);
    Model::new(&vgg.inputs()?, outputs)
}

/// The content image's content-layer features and the style image's Gram matrices.
struct Targets {
    content: Tensor,
    style_grams: Vec<Tensor>,
}

/// Keras's `compute_loss`: `outputs` are the combination image's feature maps for the content
/// layer and then each style layer.
fn total_loss(
    targets: &Targets,
    outputs: &[Tensor],
    combination: &Tensor,
    options: &StyleTransfer,
    rows: i64,
    cols: i64,
) -> Tensor {
    let mut loss = (outputs[0].get(0) - &targets.content)
        .square()
        .sum(Kind::Float)
        * options.content_weight;
    let size = (rows * cols) as f64;
    let per_layer = options.style_weight / STYLE_LAYERS.len() as f64;
    for (f, s) in outputs[1..].iter().zip(&targets.style_grams) {
        let c = gram_matrix(&f.get(0));
        let style = (s - c).square().sum(Kind::Float) / (4.0 * 9.0 * size * size);
        loss += style * per_layer;
    }
    loss + total_variation_loss(combination, rows, cols) * options.total_variation_weight
}

/// The Gram matrix of one feature map `(h, w, c)`: `(c, c)`.
fn gram_matrix(x: &Tensor) -> Tensor {
    let features = x.permute([2, 0, 1]).flatten(1, 2);
    features.matmul(&features.tr())
}

/// Keras's total variation: squared differences to the pixel below and to the right, summed
/// to the power 1.25.
fn total_variation_loss(x: &Tensor, rows: i64, cols: i64) -> Tensor {
    let here = x.narrow(1, 0, rows - 1).narrow(2, 0, cols - 1);
    let a = (&here - x.narrow(1, 1, rows - 1).narrow(2, 0, cols - 1)).square();
    let b = (&here - x.narrow(1, 0, rows - 1).narrow(2, 1, cols - 1)).square();
    (a + b).pow_tensor_scalar(1.25).sum(Kind::Float)
}

/// An RGB image `(H, W, 3)` as float 0–255.
fn to_rgb255(image: &Tensor, which: &str) -> Result<Tensor> {
    let image = if image.dim() == 4 && image.size()[0] == 1 {
        image.get(0)
    } else {
        image.shallow_clone()
    };
    let size = image.size();
    if size.len() != 3 || size[2] != 3 {
        return Err(Error::InvalidData(format!(
            "style_transfer: the {which} image must be (height, width, 3) RGB, got shape {size:?}"
        )));
    }
    Ok(match image.kind() {
        Kind::Uint8 => image.to_kind(Kind::Float),
        _ => image.to_kind(Kind::Float) * 255.0,
    })
}

/// `(1, rows, cols, 3)` in VGG19's input space.
fn caffe(image: &Tensor, rows: i64, cols: i64) -> Result<Tensor> {
    let resized = crate::preprocessing::resize_images(image, (rows, cols))?;
    Ok(vgg19::preprocess_input(&resized.unsqueeze(0)))
}

/// Keras's `deprocess_image`: back from VGG19's input space to RGB `u8` `(rows, cols, 3)`.
fn deprocess(x: &Tensor) -> Tensor {
    let mean = Tensor::from_slice(&CAFFE_MEAN_BGR).to_kind(Kind::Float);
    (x.get(0).detach() + mean)
        .flip([2])
        .clamp(0.0, 255.0)
        .round()
        .to_kind(Kind::Uint8)
}

fn picture(image: &Tensor, title: &str, loss: Option<f64>) -> Figure {
    let (h, w) = (image.size()[0] as f64, image.size()[1] as f64);
    let mut fig = Figure::figsize(6.0 * w / h.max(1.0), 6.0);
    let title = match loss {
        Some(l) => format!("{title}: loss {l:.1}"),
        None => title.to_string(),
    };
    fig.ax(0).imshow(image);
    fig.ax(0).title(&title).axis_off();
    fig
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &Tensor, b: &Tensor) -> bool {
        a.allclose(b, 1e-5, 1e-4, false)
    }

    #[test]
    fn gram_matrix_is_the_channel_correlations() {
        // A 1×2 map with channels (1, 2) and (3, 4): Gram = [[1+9, 2+12], [2+12, 4+16]].
        let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0]).reshape([1, 2, 2]);
        let want = Tensor::from_slice(&[10.0f32, 14.0, 14.0, 20.0]).reshape([2, 2]);
        assert!(close(&gram_matrix(&x), &want));
    }

    #[test]
    fn total_variation_sums_right_and_down_differences_to_the_power_1_25() {
        // One channel, 2×2 [[0, 1], [2, 4]]: only the top-left pixel has both neighbours:
        // (0-2)² + (0-1)² = 5, and 5^1.25.
        let x = Tensor::from_slice(&[0.0f32, 1.0, 2.0, 4.0]).reshape([1, 2, 2, 1]);
        let want = 5f64.powf(1.25);
        assert!((total_variation_loss(&x, 2, 2).double_value(&[]) - want).abs() < 1e-4);
    }

    #[test]
    fn deprocess_undoes_preprocessing() {
        let rgb = Tensor::from_slice(&[10u8, 20, 30, 200, 100, 0]).reshape([1, 2, 3]);
        let there = caffe(&rgb.to_kind(Kind::Float), 1, 2).unwrap();
        assert_eq!(there.size(), [1, 1, 2, 3]);
        assert_eq!(deprocess(&there), rgb);
    }

    #[test]
    fn images_of_the_wrong_shape_are_named() {
        let gray = Tensor::zeros([8, 8], (Kind::Uint8, tch::Device::Cpu));
        let rgb = Tensor::zeros([8, 8, 3], (Kind::Uint8, tch::Device::Cpu));
        let err = style_transfer(&gray, &rgb, StyleTransfer::default()).unwrap_err();
        assert!(err.to_string().contains("content image"), "{err}");
        assert!(err.to_string().contains("[8, 8]"), "{err}");
    }

    /// With VGG19's random initial weights (the loss's scale differs from ImageNet's, so a
    /// smaller step): the loss falls and the best image is the last one's predecessor or
    /// better.
    #[test]
    fn optimising_lowers_the_loss_and_keeps_the_best_image() {
        tch::manual_seed(0);
        let content = (Tensor::rand([40, 56, 3], (Kind::Float, tch::Device::Cpu)) * 255.0)
            .to_kind(Kind::Uint8);
        let style = Tensor::rand([32, 32, 3], (Kind::Float, tch::Device::Cpu));
        let options = StyleTransfer {
            steps: 4,
            image_rows: 32,
            learning_rate: 1.0,
            weights: Weights::None,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let run = optimise(&content, &style, &options, |step, loss, image| {
            assert_eq!(image.size(), [1, 32, 45, 3]);
            seen.push((step, loss));
        })
        .unwrap();
        assert_eq!(seen.len(), 4);
        assert!(run.losses[3] < run.losses[0], "{:?}", run.losses);
        let best = run.losses.iter().cloned().fold(f64::INFINITY, f64::min);
        assert_eq!(run.best_loss, best);
    }
}
