//! Plots: matplotlib-style figures and one-call pictures of training, images and filters.
//!
//! A [`Figure`] holds a grid of subplots ([`Axes`]) with `plot`, `scatter`, `imshow`,
//! `matshow`, `bar`, titles (in colour), axis labels, legends and `axis_off`. It shows inline
//! as PNG (or SVG) when it is a cell's last expression, or at once with `.show()`, and saves
//! with `.save("plot.png")`. Text uses a bundled font (DejaVu Sans), so figures look the same
//! on every machine.
//!
//! Ready-made pictures, one call each: [`plot_history`], [`image_grid`],
//! [`prediction_grid`], [`plot_feature_maps`], [`activation_panel`], [`plot_filters`],
//! [`compare_curves`], [`plot_confusion_matrix`], [`scatter_by_class`]; from a model,
//! [`plot_activations`], [`plot_activation_panel`] and [`plot_layer_filters`]; and [`LivePlot`]
//! (a `fit` callback) redraws the training curves in place after every epoch.

mod activations;
mod axes;
mod cartesian;
mod classes;
mod color;
mod colormap;
mod draw;
mod figure;
mod font;
mod grids;
mod history;
mod image_data;
mod live;
mod model_graph;
mod model_plots;
mod plot_model;
mod raster;

pub use activations::{activation_panel, plot_feature_maps, plot_filters};
pub use axes::{Axes, AxesImage, Bars, Line2D, PlotSeries, Scatter, TextNote};
pub use classes::{plot_confusion_matrix, scatter_by_class};
pub use color::Color;
pub use colormap::{CmapSpec, Colormap};
pub use figure::{Figure, FigureFormat};
pub use grids::{image_grid, prediction_grid};
pub use history::{compare_curves, plot_history, plot_history_with, HistoryPlot};
pub use image_data::PlotImage;
pub use live::LivePlot;
pub use model_graph::{draw_model_graph, GraphBox, ModelDiagram, ModelGraph, PlotModel};
pub use model_plots::{plot_activation_panel, plot_activations, plot_layer_filters};
pub use plot_model::{plot_model, plot_model_with};
