//! One subplot: what is drawn in it (lines, points, bars, an image, text) and how it is
//! labelled. Built with matplotlib-like calls; drawn by the [`Figure`](super::Figure).

use super::color::Color;
use super::colormap::{CmapSpec, Colormap};
use super::image_data::{tensor_values, PlotImage};
use tch::Tensor;

/// Anything that can be plotted as a series of numbers: `Vec`/slices of `f64` or `f32`,
/// arrays, and 1-D tensors (`history["loss"]`, `&[0.9, 0.5]`, `&tensor`).
pub trait PlotSeries {
    /// The values as `f64`.
    fn to_f64(&self) -> Vec<f64>;
}

impl PlotSeries for [f64] {
    fn to_f64(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl PlotSeries for [f32] {
    fn to_f64(&self) -> Vec<f64> {
        self.iter().map(|&v| v as f64).collect()
    }
}
impl PlotSeries for Vec<f64> {
    fn to_f64(&self) -> Vec<f64> {
        self.clone()
    }
}
impl PlotSeries for Vec<f32> {
    fn to_f64(&self) -> Vec<f64> {
        self.as_slice().to_f64()
    }
}
impl<const N: usize> PlotSeries for [f64; N] {
    fn to_f64(&self) -> Vec<f64> {
        self.to_vec()
    }
}
impl<const N: usize> PlotSeries for [f32; N] {
    fn to_f64(&self) -> Vec<f64> {
        self.as_slice().to_f64()
    }
}
impl PlotSeries for Tensor {
    /// The tensor flattened; an unreadable tensor gives an empty series.
    fn to_f64(&self) -> Vec<f64> {
        tensor_values(self)
            .map(|v| v.into_iter().map(f64::from).collect())
            .unwrap_or_default()
    }
}
impl<T: PlotSeries + ?Sized> PlotSeries for &T {
    fn to_f64(&self) -> Vec<f64> {
        (**self).to_f64()
    }
}

/// A line from `plot`: set its legend label, colour and markers by chaining.
#[derive(Debug, Clone, PartialEq)]
pub struct Line2D {
    pub(crate) xs: Vec<f64>,
    pub(crate) ys: Vec<f64>,
    pub(crate) label: Option<String>,
    pub(crate) color: Option<Color>,
    pub(crate) marker: bool,
    pub(crate) width: u32,
}

impl Line2D {
    /// The legend label (matplotlib's `label=`).
    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }
    /// The colour (default: the next colour of the cycle).
    pub fn color(&mut self, color: impl Into<Color>) -> &mut Self {
        self.color = Some(color.into());
        self
    }
    /// Draws a dot at every point (matplotlib's `"o-"`).
    pub fn marker(&mut self) -> &mut Self {
        self.marker = true;
        self
    }
    /// Line width in pixels (default 2).
    pub fn linewidth(&mut self, px: u32) -> &mut Self {
        self.width = px.max(1);
        self
    }
}

/// Points from `scatter`, optionally coloured by class.
#[derive(Debug, Clone, PartialEq)]
pub struct Scatter {
    pub(crate) xs: Vec<f64>,
    pub(crate) ys: Vec<f64>,
    pub(crate) classes: Option<Vec<usize>>,
    pub(crate) class_names: Vec<String>,
    pub(crate) label: Option<String>,
    pub(crate) color: Option<Color>,
    pub(crate) size: u32,
}

impl Scatter {
    /// Colours each point by its class index (class k gets colour `C{k}`).
    pub fn classes(&mut self, classes: &[usize]) -> &mut Self {
        self.classes = Some(classes.to_vec());
        self
    }
    /// Names for the classes, shown in the legend.
    pub fn class_names<S: AsRef<str>>(&mut self, names: &[S]) -> &mut Self {
        self.class_names = names.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }
    /// The legend label when not coloured by class.
    pub fn label(&mut self, label: impl Into<String>) -> &mut Self {
        self.label = Some(label.into());
        self
    }
    /// The colour when not coloured by class.
    pub fn color(&mut self, color: impl Into<Color>) -> &mut Self {
        self.color = Some(color.into());
        self
    }
    /// Marker radius in pixels (default 3).
    pub fn size(&mut self, px: u32) -> &mut Self {
        self.size = px.max(1);
        self
    }
}

/// Bars from `bar`, one per category.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    pub(crate) labels: Vec<String>,
    pub(crate) heights: Vec<f64>,
    pub(crate) color: Option<Color>,
}

impl Bars {
    /// The bars' colour (default `C0`).
    pub fn color(&mut self, color: impl Into<Color>) -> &mut Self {
        self.color = Some(color.into());
        self
    }
}

/// An image from `imshow` / `matshow`.
#[derive(Debug, Clone, PartialEq)]
pub struct AxesImage {
    pub(crate) data: PlotImage,
    pub(crate) cmap: CmapSpec,
    pub(crate) vmin: Option<f32>,
    pub(crate) vmax: Option<f32>,
}

impl AxesImage {
    /// The colormap for grayscale data: an id (`"gray"`, `"binary"`, `"viridis"`…) or a
    /// [`Colormap`].
    pub fn cmap(&mut self, cmap: impl Into<CmapSpec>) -> &mut Self {
        self.cmap = cmap.into();
        self
    }
    /// The value drawn with the colormap's first colour (default: the data's minimum).
    pub fn vmin(&mut self, v: f32) -> &mut Self {
        self.vmin = Some(v);
        self
    }
    /// The value drawn with the colormap's last colour (default: the data's maximum).
    pub fn vmax(&mut self, v: f32) -> &mut Self {
        self.vmax = Some(v);
        self
    }
}

/// Text placed at data coordinates (for images: column, row).
#[derive(Debug, Clone, PartialEq)]
pub struct TextNote {
    pub(crate) x: f64,
    pub(crate) y: f64,
    pub(crate) text: String,
    pub(crate) color: Option<Color>,
    pub(crate) size: u32,
}

impl TextNote {
    /// The text colour (default black).
    pub fn color(&mut self, color: impl Into<Color>) -> &mut Self {
        self.color = Some(color.into());
        self
    }
    /// Font size in pixels (default 12).
    pub fn size(&mut self, px: u32) -> &mut Self {
        self.size = px.max(4);
        self
    }
}

/// One subplot of a [`Figure`](super::Figure), as matplotlib's `Axes`.
///
/// ```
/// use ferrokeras::plot::Figure;
/// let mut fig = Figure::new(600, 400);
/// let ax = fig.ax(0);
/// ax.plot(&[0.9, 0.6, 0.4]).label("loss");
/// ax.plot(&[1.0, 0.8, 0.7]).label("val_loss").color("C1");
/// ax.title("Loss").xlabel("Epoch").legend();
/// assert_eq!(fig.ax(0).lines().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Axes {
    pub(crate) lines: Vec<Line2D>,
    pub(crate) scatters: Vec<Scatter>,
    pub(crate) bars: Option<Bars>,
    pub(crate) image: Option<AxesImage>,
    pub(crate) texts: Vec<TextNote>,
    pub(crate) title: Option<String>,
    pub(crate) title_color: Option<Color>,
    pub(crate) title_size: u32,
    pub(crate) xlabel: Option<String>,
    pub(crate) ylabel: Option<String>,
    pub(crate) legend: bool,
    pub(crate) axis_off: bool,
    pub(crate) grid: bool,
    pub(crate) xlim: Option<(f64, f64)>,
    pub(crate) ylim: Option<(f64, f64)>,
    pub(crate) xticks: Option<Vec<(f64, String)>>,
    pub(crate) yticks: Option<Vec<(f64, String)>>,
    pub(crate) error: Option<String>,
}

impl Default for Axes {
    fn default() -> Self {
        Self {
            lines: Vec::new(),
            scatters: Vec::new(),
            bars: None,
            image: None,
            texts: Vec::new(),
            title: None,
            title_color: None,
            title_size: 15,
            xlabel: None,
            ylabel: None,
            legend: false,
            axis_off: false,
            grid: false,
            xlim: None,
            ylim: None,
            xticks: None,
            yticks: None,
            error: None,
        }
    }
}

impl Axes {
    /// A line through `ys` at x = 0, 1, 2, … (matplotlib's `plot(y)`).
    pub fn plot(&mut self, ys: impl PlotSeries) -> &mut Line2D {
        let ys = ys.to_f64();
        let xs = (0..ys.len()).map(|i| i as f64).collect();
        self.push_line(xs, ys)
    }

    /// A line through the points `(xs[i], ys[i])` (matplotlib's `plot(x, y)`).
    pub fn plot_xy(&mut self, xs: impl PlotSeries, ys: impl PlotSeries) -> &mut Line2D {
        let (xs, ys) = self.xy_values("plot_xy", xs, ys);
        self.push_line(xs, ys)
    }

    fn push_line(&mut self, xs: Vec<f64>, ys: Vec<f64>) -> &mut Line2D {
        self.lines.push(Line2D {
            xs,
            ys,
            label: None,
            color: None,
            marker: false,
            width: 2,
        });
        self.lines.last_mut().expect("just pushed")
    }

    /// Points at `(xs[i], ys[i])`; colour them by class with `.classes(&labels)`.
    pub fn scatter(&mut self, xs: impl PlotSeries, ys: impl PlotSeries) -> &mut Scatter {
        let (xs, ys) = self.xy_values("scatter", xs, ys);
        self.scatters.push(Scatter {
            xs,
            ys,
            classes: None,
            class_names: Vec::new(),
            label: None,
            color: None,
            size: 3,
        });
        self.scatters.last_mut().expect("just pushed")
    }

    /// A bar per category: `labels[i]` under a bar of height `heights[i]`.
    pub fn bar<S: AsRef<str>>(&mut self, labels: &[S], heights: impl PlotSeries) -> &mut Bars {
        let heights = heights.to_f64();
        self.check_lengths(labels.len(), heights.len(), |l, h| {
            format!("bar: {l} labels but {h} heights")
        });
        self.bars = Some(Bars {
            labels: labels.iter().map(|s| s.as_ref().to_string()).collect(),
            heights,
            color: None,
        });
        self.bars.as_mut().expect("just set")
    }

    /// Shows an image tensor `(H, W)`, `(H, W, 1)`, `(H, W, 3)` (Keras's channels-last,
    /// u8 0–255 or float 0–1). Grayscale uses `viridis` unless `.cmap("gray")` etc.
    /// A bad shape makes the figure's render return the error.
    pub fn imshow(&mut self, image: &Tensor) -> &mut AxesImage {
        let data = PlotImage::from_tensor(image).unwrap_or_else(|e| {
            self.fail(e.to_string());
            PlotImage::gray(1, 1, vec![0.0]).expect("1 value")
        });
        self.imshow_data(data)
    }

    /// Shows an [`PlotImage`] (pixels not held in a tensor).
    pub fn imshow_data(&mut self, data: PlotImage) -> &mut AxesImage {
        self.image = Some(AxesImage {
            data,
            cmap: CmapSpec::Map(Colormap::Viridis),
            vmin: None,
            vmax: None,
        });
        self.image.as_mut().expect("just set")
    }

    /// A matrix as an image with row/column ticks (matplotlib's `matshow`, `viridis`).
    pub fn matshow(&mut self, matrix: &Tensor) -> &mut AxesImage {
        self.imshow(matrix)
    }

    /// Text at data coordinates `(x, y)`; for an image, column `x` and row `y`.
    pub fn text(&mut self, x: f64, y: f64, text: impl Into<String>) -> &mut TextNote {
        self.texts.push(TextNote {
            x,
            y,
            text: text.into(),
            color: None,
            size: 12,
        });
        self.texts.last_mut().expect("just pushed")
    }

    /// The title above the subplot (may hold `\n` for several lines).
    pub fn title(&mut self, title: impl Into<String>) -> &mut Self {
        self.title = Some(title.into());
        self
    }
    /// The title's colour (matplotlib's `title(..., color=)`), e.g. `"green"`.
    pub fn title_color(&mut self, color: impl Into<Color>) -> &mut Self {
        self.title_color = Some(color.into());
        self
    }
    /// The title's font size in pixels (default 15).
    pub fn title_size(&mut self, px: u32) -> &mut Self {
        self.title_size = px.max(4);
        self
    }
    /// The x axis label.
    pub fn xlabel(&mut self, label: impl Into<String>) -> &mut Self {
        self.xlabel = Some(label.into());
        self
    }
    /// The y axis label.
    pub fn ylabel(&mut self, label: impl Into<String>) -> &mut Self {
        self.ylabel = Some(label.into());
        self
    }
    /// Shows a legend of the labelled lines and classes, placed where it covers least data.
    pub fn legend(&mut self) -> &mut Self {
        self.legend = true;
        self
    }
    /// Hides the frame, ticks and axis labels (`plt.axis('off')`); the title stays.
    pub fn axis_off(&mut self) -> &mut Self {
        self.axis_off = true;
        self
    }
    /// Light grid lines at the ticks.
    pub fn grid(&mut self, on: bool) -> &mut Self {
        self.grid = on;
        self
    }
    /// The x range shown.
    pub fn xlim(&mut self, min: f64, max: f64) -> &mut Self {
        self.xlim = Some((min, max));
        self
    }
    /// The y range shown.
    pub fn ylim(&mut self, min: f64, max: f64) -> &mut Self {
        self.ylim = Some((min, max));
        self
    }
    /// Ticks at `positions` named `labels` on the x axis.
    pub fn xticks<S: AsRef<str>>(&mut self, positions: &[f64], labels: &[S]) -> &mut Self {
        self.xticks = Some(self.ticks("xticks", positions, labels));
        self
    }
    /// Ticks at `positions` named `labels` on the y axis.
    pub fn yticks<S: AsRef<str>>(&mut self, positions: &[f64], labels: &[S]) -> &mut Self {
        self.yticks = Some(self.ticks("yticks", positions, labels));
        self
    }

    fn ticks<S: AsRef<str>>(
        &mut self,
        what: &str,
        pos: &[f64],
        labels: &[S],
    ) -> Vec<(f64, String)> {
        self.check_lengths(pos.len(), labels.len(), |p, l| {
            format!("{what}: {p} positions but {l} labels")
        });
        pos.iter()
            .zip(labels)
            .map(|(p, l)| (*p, l.as_ref().to_string()))
            .collect()
    }

    /// The lines drawn so far.
    pub fn lines(&self) -> &[Line2D] {
        &self.lines
    }
    /// The title, if set.
    pub fn get_title(&self) -> Option<&str> {
        self.title.as_deref()
    }
    /// The image shown by `imshow` / `matshow`, to change its colormap or range.
    pub fn image_mut(&mut self) -> Option<&mut AxesImage> {
        self.image.as_mut()
    }

    /// The values of the paired series `xs` and `ys` given to `what` (`plot_xy`, `scatter`).
    fn xy_values(
        &mut self,
        what: &str,
        xs: impl PlotSeries,
        ys: impl PlotSeries,
    ) -> (Vec<f64>, Vec<f64>) {
        let (xs, ys) = (xs.to_f64(), ys.to_f64());
        self.check_lengths(xs.len(), ys.len(), |x, y| {
            format!("{what}: x has {x} values but y has {y}")
        });
        (xs, ys)
    }

    /// Records a misuse, said by `msg(a, b)`, when two lengths that must match do not.
    fn check_lengths(&mut self, a: usize, b: usize, msg: impl FnOnce(usize, usize) -> String) {
        if a != b {
            self.fail(msg(a, b));
        }
    }

    /// Records the first misuse; rendering the figure returns it as an error.
    pub(crate) fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(msg);
        }
    }
}
