// Clearing a weight's gradient as PyTorch's `zero_grad(set_to_none=True)` does, which tch's C
// API cannot: it only zeroes the gradient in place (`at_zero_grad`).
//
// Why: a zeroed gradient is filled with zeros before every backward pass and the pass then
// adds its result into it, two passes over every weight a step; a cleared one lets the
// backward pass hand its result over as the gradient. Keras's torch backend and PyTorch's
// optimizers clear, and Keras leaves a weight the loss did not reach out of the update, which
// only a cleared gradient shows.

#include <ATen/ATen.h>

extern "C" {

// `tensor`'s gradient becomes undefined; the next backward pass creates it afresh.
void ferrokeras_clear_grad(const at::Tensor* tensor) { tensor->mutable_grad().reset(); }

}  // extern "C"
