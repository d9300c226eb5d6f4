//! The prelude's CPU LSTM (`csrc/lstm_cpu.cpp`, compiled by build.rs): the recurrence of an
//! LSTM whose input gates are rows of a table picked by token ids, as one libtorch autograd
//! function with its own backward. `LSTM` uses it behind an `Embedding` (see
//! `LayerKind::forward_from_table`), where the input projection can be done once per
//! vocabulary row instead of once per token.

use std::ffi::{c_char, CStr};
use tch::{Device, Kind, Tensor};
use torch_sys::C_tensor;

extern "C" {
    fn ferrokeras_lstm_from_table(
        table: *const C_tensor,
        tokens: *const C_tensor,
        w_hh: *const C_tensor,
        out: *mut *mut C_tensor,
    ) -> *mut c_char;
    fn ferrokeras_free_message(message: *mut c_char);
}

/// Whether [`lstm_from_table`] runs on tensors of this device and kind.
pub(crate) fn supports(device: Device, kind: Kind) -> bool {
    device == Device::Cpu && kind == Kind::Float
}

/// The hidden states `(batch, steps, units)` of an LSTM from zero state, where step `t` of
/// example `b` gets the input gates `table[tokens[b, t]]` (the input projection and bias
/// already applied): `table (vocabulary, 4·units)`, `tokens (batch, steps)` int64, `w_hh
/// (4·units, units)`, gates in the order i, f, g, o, all float32 on the CPU. Differentiable in
/// `table` and `w_hh`.
///
/// Panics, as tch's own ops do, with libtorch's message when the arguments do not fit (an id
/// outside the table, a wrong shape or kind).
pub(crate) fn lstm_from_table(table: &Tensor, tokens: &Tensor, w_hh: &Tensor) -> Tensor {
    let mut out: *mut C_tensor = std::ptr::null_mut();
    // SAFETY: tch's tensors are pointers to libtorch's `at::Tensor`, which the C++ side takes
    // by const pointer and does not keep; on success it hands back a new `at::Tensor` that the
    // returned `Tensor` owns (and frees on drop); on failure a malloc'd message we free.
    unsafe {
        let err =
            ferrokeras_lstm_from_table(table.as_ptr(), tokens.as_ptr(), w_hh.as_ptr(), &mut out);
        if !err.is_null() {
            let message = CStr::from_ptr(err).to_string_lossy().into_owned();
            ferrokeras_free_message(err);
            panic!("{message}");
        }
        Tensor::from_ptr(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same hidden states and gradients as libtorch's own LSTM on the looked-up rows.
    #[test]
    fn matches_libtorch_lstm_and_its_gradients() {
        let (v, e, h, b, t) = (7, 5, 6, 4, 9);
        let opts = (Kind::Float, Device::Cpu);
        let emb = Tensor::randn([v, e], opts).set_requires_grad(true);
        let w_ih = (Tensor::randn([4 * h, e], opts) * 0.5).set_requires_grad(true);
        let w_hh = (Tensor::randn([4 * h, h], opts) * 0.5).set_requires_grad(true);
        let bias = Tensor::randn([4 * h], opts).set_requires_grad(true);
        let tokens = Tensor::randint(v, [b, t], (Kind::Int64, Device::Cpu));
        let weight = Tensor::randn([b, t, h], opts);
        let leaves = [&emb, &w_ih, &w_hh, &bias];
        let run = |fused: bool| {
            let out = if fused {
                let table = bias.addmm(&emb, &w_ih.tr());
                lstm_from_table(&table, &tokens, &w_hh)
            } else {
                let x = Tensor::embedding(&emb, &tokens, -1, false, false);
                let h0 = Tensor::zeros([1, b, h], opts);
                let zero = Tensor::zeros([4 * h], opts);
                let params = [&w_ih, &w_hh, &bias, &zero];
                x.lstm(&[&h0, &h0], &params, true, 1, 0.0, true, false, true)
                    .0
            };
            let grads =
                Tensor::run_backward(&[(&out * &weight).sum(Kind::Float)], &leaves, false, false);
            (out.detach(), grads)
        };
        let (ours, our_grads) = run(true);
        let (theirs, their_grads) = run(false);
        assert_eq!(ours.size(), vec![b, t, h]);
        let close = |a: &Tensor, b: &Tensor| {
            let scale = b.abs().max().double_value(&[]).max(1.0);
            (a - b).abs().max().double_value(&[]) / scale
        };
        assert!(close(&ours, &theirs) < 1e-6, "{}", close(&ours, &theirs));
        for (i, (a, b)) in our_grads.iter().zip(&their_grads).enumerate() {
            assert!(close(a, b) < 1e-5, "gradient {i}: {}", close(a, b));
        }
    }

    #[test]
    #[should_panic(expected = "token ids must be in [0, 3), got ids from 0 to 3")]
    fn an_id_outside_the_table_is_refused() {
        let opts = (Kind::Float, Device::Cpu);
        let table = Tensor::zeros([3, 8], opts);
        let tokens = Tensor::from_slice(&[0i64, 3]).view([1, 2]);
        let _ = lstm_from_table(&table, &tokens, &Tensor::zeros([8, 2], opts));
    }
}
