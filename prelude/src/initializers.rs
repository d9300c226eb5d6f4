//! Keras's `keras.initializers`: how new weights are filled.
//!
//! Layers use Keras's defaults: `glorot_uniform` kernels, `zeros` biases, `orthogonal`
//! recurrent kernels and `uniform(-0.05, 0.05)` embeddings, so training behaves like Keras.
//! Random draws come from libtorch's generator, which [`crate::backend::set_random_seed`] seeds.
//!
//! ```
//! use ferrokeras::initializers::Initializer;
//! use ferrokeras::prelude::*;
//! let w = Initializer::GlorotUniform.make(&[784, 512], Device::Cpu);
//! let limit = (6.0f64 / (784.0 + 512.0)).sqrt();
//! assert!(w.abs().max().double_value(&[]) <= limit + 1e-6);
//! ```

use tch::{Device, Kind, Tensor};

/// A weight initializer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Uniform in ±sqrt(6 / (fan_in + fan_out)).
    GlorotUniform,
    /// Uniform in ±sqrt(6 / fan_in).
    HeUniform,
    /// Uniform in `[min, max)`.
    Uniform(f64, f64),
    /// An orthogonal matrix (for recurrent kernels).
    Orthogonal,
}

/// Keras's fan-in and fan-out of a kernel shape: for conv kernels `(k…, in, out)` the
/// receptive field multiplies both.
pub fn fans(shape: &[i64]) -> (f64, f64) {
    match shape.len() {
        0 => (1.0, 1.0),
        1 => (shape[0] as f64, shape[0] as f64),
        2 => (shape[0] as f64, shape[1] as f64),
        n => {
            let field: i64 = shape[..n - 2].iter().product();
            ((field * shape[n - 2]) as f64, (field * shape[n - 1]) as f64)
        }
    }
}

impl Initializer {
    /// A new float tensor of `shape`, filled by this initializer, on `device`.
    pub fn make(&self, shape: &[i64], device: Device) -> Tensor {
        let opts = (Kind::Float, device);
        match *self {
            Initializer::Zeros => Tensor::zeros(shape, opts),
            Initializer::Ones => Tensor::ones(shape, opts),
            Initializer::GlorotUniform => {
                let (fi, fo) = fans(shape);
                let limit = (6.0 / (fi + fo)).sqrt();
                Tensor::empty(shape, opts).uniform_(-limit, limit)
            }
            Initializer::HeUniform => {
                let (fi, _) = fans(shape);
                let limit = (6.0 / fi).sqrt();
                Tensor::empty(shape, opts).uniform_(-limit, limit)
            }
            Initializer::Uniform(lo, hi) => Tensor::empty(shape, opts).uniform_(lo, hi),
            Initializer::Orthogonal => {
                let rows = shape.first().copied().unwrap_or(1);
                let cols: i64 = shape.iter().skip(1).product::<i64>().max(1);
                let (big, small) = (rows.max(cols), rows.min(cols));
                let a = Tensor::randn([big, small], (Kind::Float, Device::Cpu));
                let (q, r) = Tensor::linalg_qr(&a, "reduced");
                // Make the decomposition unique (as Keras does) by the signs of diag(r).
                let q = q * r.diagonal(0, 0, 1).sign().unsqueeze(0);
                let q = if rows < cols { q.tr() } else { q };
                q.contiguous().reshape(shape).to_device(device)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orthogonal_rows_are_orthonormal() {
        let w = Initializer::Orthogonal.make(&[8, 32], Device::Cpu);
        let eye = w.matmul(&w.tr());
        let diff = (eye - Tensor::eye(8, (Kind::Float, Device::Cpu)))
            .abs()
            .max();
        assert!(diff.double_value(&[]) < 1e-4);
    }

    #[test]
    fn conv_fans_include_the_receptive_field() {
        assert_eq!(fans(&[3, 3, 3, 32]), (27.0, 288.0));
    }
}
