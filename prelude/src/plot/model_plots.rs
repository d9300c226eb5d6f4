//! The activation and filter pictures straight from a model: the layer is picked by index or
//! name and the model is run for you (thin glue over [`plot_feature_maps`],
//! [`activation_panel`] and [`plot_filters`]).

use super::activations::{activation_panel, plot_feature_maps, plot_filters};
use super::figure::Figure;
use crate::error::{Error, Result};
use crate::layers::Layer;
use crate::models::{LayerKey, Model};
use tch::{Device, Tensor};

/// The model's inner outputs for the first example of `input` (a batch, or one example
/// without the batch axis).
fn first_example_activations(model: &Model, input: &Tensor) -> Result<Vec<(String, Tensor)>> {
    let one_example_rank = model.input().ok().map(|i| i.shape().len());
    let x = if Some(input.dim()) == one_example_rank {
        input.unsqueeze(0)
    } else if input.dim() > 0 && input.size()[0] > 1 {
        input.f_narrow(0, 0, 1)?
    } else {
        input.shallow_clone()
    };
    model.activations(&x)
}

/// One layer's feature maps for one input image, one `matshow` per filter (at most
/// `max_filters`) — the English notebook's
/// `activation_model = Model(inputs=model.input, outputs=model.layers[0].output)` followed by
/// `matshow(activations[0, :, :, k])`, in one call.
///
/// Arguments: `layer` by index in `model.layers()` or by name; `input` a batch (the first
/// example is shown) or one example without the batch axis.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new()
///     .add(Input::new([28, 28, 1]))
///     .add(Conv2D::new(32, (3, 3)).activation("relu").name("conv"))
///     .add(Flatten::new())
///     .add(Dense::new(10));
/// let img = Tensor::rand([1, 28, 28, 1], (Kind::Float, Device::Cpu));
/// let fig = plot_activations(&model, "conv", &img, 16)?;
/// assert_eq!(fig.grid(), (2, 8));
/// assert_eq!(plot_activations(&model, 0, &img, 16)?.grid(), (2, 8));
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn plot_activations(
    model: &Model,
    layer: impl Into<LayerKey>,
    input: &Tensor,
    max_filters: usize,
) -> Result<Figure> {
    let layer = model.get_layer(layer)?;
    let name = layer.name();
    let acts = first_example_activations(model, input)?;
    let (_, out) = acts.iter().find(|(n, _)| *n == name).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "plot_activations: layer '{name}' is not on the path from the model's input to its output"
        ))
    })?;
    let shape = out.size();
    if shape.len() != 4 {
        return Err(Error::InvalidArgument(format!(
            "plot_activations: {} outputs {}, not feature maps (None, H, W, C); pick a conv or pooling layer",
            layer.label(),
            crate::error::keras_shape(&{
                let mut s = shape.clone();
                s[0] = -1;
                s
            })
        )));
    }
    let mut fig = plot_feature_maps(out, max_filters)?;
    fig.suptitle(format!("{name} ({})", layer.class_name()));
    Ok(fig)
}

/// Every layer's feature maps for one input image: a column per layer, a row per filter (at
/// most `max_filters`); layers whose output is not image-like (Flatten, Dense) are skipped —
/// the English notebook's ResNet50 figure.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new()
///     .add(Input::new([16, 16, 3]))
///     .add(Conv2D::new(8, (3, 3)).activation("relu"))
///     .add(MaxPooling2D::new((2, 2)))
///     .add(Flatten::new())
///     .add(Dense::new(2));
/// let img = Tensor::rand([16, 16, 3], (Kind::Float, Device::Cpu)); // one image, no batch axis
/// assert_eq!(plot_activation_panel(&model, &img, 4)?.grid(), (4, 2));
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn plot_activation_panel(model: &Model, input: &Tensor, max_filters: usize) -> Result<Figure> {
    activation_panel(&first_example_activations(model, input)?, max_filters)
}

/// A conv layer's learned kernels (its Keras-layout kernel `(kh, kw, in, out)`), as
/// [`plot_filters`] draws them: one RGB picture per filter on RGB input, else a row per filter
/// and a column per input channel.
///
/// ```
/// use ferrokeras::prelude::*;
/// let model = Sequential::new()
///     .add(Input::new([32, 32, 3]))
///     .add(Conv2D::new(16, (3, 3)));
/// model.build()?; // weights exist once the model is built (or trained)
/// let fig = plot_layer_filters(&model.get_layer(0)?)?;
/// assert_eq!(fig.grid(), (2, 8));
/// # Ok::<(), ferrokeras::Error>(())
/// ```
pub fn plot_layer_filters(layer: &Layer) -> Result<Figure> {
    let kernel = layer.kernel().map_err(|_| {
        Error::InvalidArgument(format!(
            "plot_layer_filters: {} has no kernel: it must be a Conv2D layer of a built model (call model.build() or train it first)",
            layer.label()
        ))
    })?;
    if kernel.dim() != 4 {
        return Err(Error::InvalidArgument(format!(
            "plot_layer_filters: {} is not a Conv2D layer: its kernel has shape {:?}, expected (kh, kw, in, out)",
            layer.label(),
            kernel.size()
        )));
    }
    plot_filters(&kernel.detach().to_device(Device::Cpu))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn tiny_cnn() -> Sequential {
        Sequential::new()
            .add(Input::new([12, 12, 3]))
            .add(Conv2D::new(6, (3, 3)).activation("relu").name("c1"))
            .add(MaxPooling2D::new((2, 2)).name("p1"))
            .add(Conv2D::new(4, (3, 3)).name("c2"))
            .add(Flatten::new())
            .add(Dense::new(2).name("out"))
    }

    #[test]
    fn one_layer_by_name_or_index_shows_its_filters() {
        let m = tiny_cnn();
        let x = Tensor::rand([3, 12, 12, 3], (Kind::Float, Device::Cpu));
        let fig = plot_activations(&m, "c1", &x, 16).unwrap();
        assert_eq!(fig.grid(), (1, 6)); // 6 filters, one row
        assert_eq!(fig.axes().len(), 6);
        assert_eq!(fig.size(), (140 * 6, 160));
        let fig = plot_activations(&m, 2, &x, 3).unwrap();
        assert_eq!(fig.grid(), (1, 3));
        assert_eq!(fig.axes()[2].get_title(), Some("filter 2"));
        // A dense layer has no feature maps; a wrong name lists the layers.
        let err = plot_activations(&m, "out", &x, 4).unwrap_err().to_string();
        assert!(
            err.contains("Dense 'out'") && err.contains("(None, 2)"),
            "{err}"
        );
        let err = plot_activations(&m, "nope", &x, 4).unwrap_err().to_string();
        assert!(err.contains("c1, p1, c2"), "{err}");
    }

    #[test]
    fn panel_has_a_column_per_image_like_layer() {
        let m = tiny_cnn();
        let x = Tensor::rand([12, 12, 3], (Kind::Float, Device::Cpu));
        let fig = plot_activation_panel(&m, &x, 5).unwrap();
        // c1 (6 filters → 5 shown), p1 (5), c2 (4): 3 columns, 5 rows.
        assert_eq!(fig.grid(), (5, 3));
        assert_eq!(fig.axes().len(), 15);
        let titles: Vec<_> = (0..3).map(|c| fig.axes()[c].get_title()).collect();
        assert_eq!(titles, vec![Some("c1"), Some("p1"), Some("c2")]);
    }

    #[test]
    fn layer_filters_follow_the_kernel() {
        let m = tiny_cnn();
        m.build().unwrap();
        let rgb = plot_layer_filters(&m.get_layer("c1").unwrap()).unwrap();
        assert_eq!(rgb.grid(), (1, 6)); // RGB input: one picture per filter
        let deep = plot_layer_filters(&m.get_layer("c2").unwrap()).unwrap();
        assert_eq!(deep.grid(), (4, 6)); // 4 filters × 6 input channels
        let err = plot_layer_filters(&m.get_layer("out").unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("Dense 'out'") && err.contains("[36, 2]"),
            "{err}"
        );
        let err = plot_layer_filters(&m.get_layer("p1").unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("has no kernel"), "{err}");
    }
}
