// An LSTM over a whole sequence for float32 tensors on the CPU, as one libtorch autograd
// function with its own backward.
//
// Why: libtorch's CPU LSTM (oneDNN's RNN) projects every step's input with a GEMM inside the
// op and cannot be given the projection from outside. Behind an Embedding the input has only
// as many distinct rows as the vocabulary, so the projection can be done once per token
// (`table = embeddings @ W_ih^T + b`, 39 rows for the Shakespeare model instead of 5,120) and
// each step's gates read their row from the table. The recurrence is then the GEMMs
// h @ W_hh^T and the cell's elementwise work, which this file fuses into one pass per step
// (forward) and one per step (backward), with libtorch's vectorised sigmoid and tanh.
//
// Gates are in Keras's and libtorch's order i, f, g (the cell candidate), o.

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cstdlib>
#include <cstring>

namespace {

using at::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Where step t of example b finds its input gates (the bias included): the row of `table`
// (vocabulary, 4H) that `tokens` (batch, steps) names.
struct GateSource {
  const float* table = nullptr;
  const int64_t* tokens = nullptr;
  int64_t steps = 0, width = 0;

  const float* row(int64_t b, int64_t t) const { return table + tokens[b * steps + t] * width; }
};

// The fewest examples one thread's slice of the batch gets.
constexpr int64_t kMinSlice = 8;

// What the forward pass keeps for the backward one, each (steps, batch, ·) contiguous.
struct Saved {
  Tensor acts;  // activated gates i, f, g, o: (T, B, 4H)
  Tensor cs;    // cell states: (T, B, H)
  Tensor tcs;   // tanh of the cell states: (T, B, H)
  Tensor hs;    // hidden states, the layer's output sequence: (T, B, H)
};

// The recurrence of examples [b0, b1) over all steps, into their rows of `s`. Examples are
// independent, so each thread of the pool runs its own slice of the batch from the first step
// to the last: no synchronisation per step, and each step's GEMM stays whole on one core.
void forward_slice(const GateSource& src, const Tensor& w_hh_t, const Saved& s, int64_t b0,
                   int64_t b1) {
  const int64_t T = src.steps, H = w_hh_t.size(0), G = 4 * H, n = b1 - b0;
  for (int64_t t = 0; t < T; ++t) {
    Tensor z = s.acts[t].narrow(0, b0, n);
    if (t == 0) {
      z.zero_();
    } else {
      at::mm_out(z, s.hs[t - 1].narrow(0, b0, n), w_hh_t);
    }
    float* zp = z.data_ptr<float>();
    for (int64_t b = 0; b < n; ++b) {
      const float* in = src.row(b0 + b, t);
      float* zb = zp + b * G;
      for (int64_t j = 0; j < G; ++j) zb[j] += in[j];
    }
    z.narrow(1, 0, 2 * H).sigmoid_();
    z.narrow(1, 2 * H, H).tanh_();
    z.narrow(1, 3 * H, H).sigmoid_();
    Tensor c = s.cs[t].narrow(0, b0, n);
    float* cp = c.data_ptr<float>();
    const float* cprev = t > 0 ? s.cs[t - 1].narrow(0, b0, n).data_ptr<float>() : nullptr;
    for (int64_t b = 0; b < n; ++b) {
      const float* a = zp + b * G;
      for (int64_t j = 0; j < H; ++j) {
        const float prev = cprev ? cprev[b * H + j] : 0.f;
        cp[b * H + j] = a[H + j] * prev + a[j] * a[2 * H + j];
      }
    }
    Tensor tc = s.tcs[t].narrow(0, b0, n);
    at::tanh_out(tc, c);
    const float* tp = tc.data_ptr<float>();
    float* hp = s.hs[t].narrow(0, b0, n).data_ptr<float>();
    for (int64_t b = 0; b < n; ++b) {
      const float* o = zp + b * G + 3 * H;
      for (int64_t j = 0; j < H; ++j) hp[b * H + j] = o[j] * tp[b * H + j];
    }
  }
}

Saved forward_pass(const GateSource& src, const Tensor& w_hh, int64_t batch) {
  const int64_t T = src.steps, H = w_hh.size(1), G = 4 * H;
  auto opts = w_hh.options().requires_grad(false);
  Saved s{at::empty({T, batch, G}, opts), at::empty({T, batch, H}, opts),
          at::empty({T, batch, H}, opts), at::empty({T, batch, H}, opts)};
  const Tensor w_hh_t = w_hh.detach().t();
  at::parallel_for(0, batch, kMinSlice,
                   [&](int64_t b0, int64_t b1) { forward_slice(src, w_hh_t, s, b0, b1); });
  return s;
}

// The backward recurrence of examples [b0, b1): the gradients of their pre-activation gates,
// into their rows of `dz` (T, B, 4H), given the gradient of the output sequence `dout`.
void backward_slice(const Saved& s, const Tensor& w_hh, const Tensor& dout, const Tensor& dz,
                    int64_t b0, int64_t b1) {
  const int64_t T = s.acts.size(0), H = w_hh.size(1), G = 4 * H, n = b1 - b0;
  auto opts = s.acts.options();
  Tensor dh = at::zeros({n, H}, opts);
  Tensor dc = at::zeros({n, H}, opts);
  float* dhp = dh.data_ptr<float>();
  float* dcp = dc.data_ptr<float>();
  for (int64_t t = T - 1; t >= 0; --t) {
    const float* a = s.acts[t].narrow(0, b0, n).data_ptr<float>();
    const float* tc = s.tcs[t].narrow(0, b0, n).data_ptr<float>();
    const float* cprev = t > 0 ? s.cs[t - 1].narrow(0, b0, n).data_ptr<float>() : nullptr;
    const float* go = dout[t].narrow(0, b0, n).data_ptr<float>();
    Tensor dzt = dz[t].narrow(0, b0, n);
    float* dzp = dzt.data_ptr<float>();
    for (int64_t b = 0; b < n; ++b) {
      const float* ab = a + b * G;
      float* d = dzp + b * G;
      for (int64_t j = 0; j < H; ++j) {
        const int64_t k = b * H + j;
        const float i = ab[j], f = ab[H + j], g = ab[2 * H + j], o = ab[3 * H + j];
        const float dht = dhp[k] + go[k];
        const float tck = tc[k];
        const float dct = dcp[k] + dht * o * (1.f - tck * tck);
        const float prev = cprev ? cprev[k] : 0.f;
        d[j] = dct * g * i * (1.f - i);
        d[H + j] = dct * prev * f * (1.f - f);
        d[2 * H + j] = dct * i * (1.f - g * g);
        d[3 * H + j] = dht * tck * o * (1.f - o);
        dcp[k] = dct * f;
      }
    }
    if (t > 0) at::mm_out(dh, dzt, w_hh);
  }
}

Tensor backward_pass(const Saved& s, const Tensor& w_hh, const Tensor& d_hs) {
  const int64_t T = s.acts.size(0), B = s.acts.size(1), G = s.acts.size(2);
  Tensor dz = at::empty({T, B, G}, s.acts.options());
  const Tensor dout = d_hs.contiguous();
  const Tensor w = w_hh.detach();
  at::parallel_for(0, B, kMinSlice,
                   [&](int64_t b0, int64_t b1) { backward_slice(s, w, dout, dz, b0, b1); });
  return dz;
}

// The gradient of W_hh (4H, H): every step's dz against the hidden state it was computed from.
Tensor w_hh_grad(const Saved& s, const Tensor& dz) {
  const int64_t T = dz.size(0), G = dz.size(2), H = G / 4;
  if (T < 2) return at::zeros({G, H}, dz.options());
  return at::mm(dz.narrow(0, 1, T - 1).reshape({-1, G}).t(),
                s.hs.narrow(0, 0, T - 1).reshape({-1, H}));
}

Tensor output_of(const Tensor& hs) { return hs.permute({1, 0, 2}); }

void check_arguments(const Tensor& table, const Tensor& tokens, const Tensor& w_hh) {
  const auto cpu_float = [](const Tensor& t) {
    return t.device().is_cpu() && t.scalar_type() == at::kFloat && t.dim() == 2;
  };
  TORCH_CHECK(cpu_float(table) && cpu_float(w_hh), "lstm: table and W_hh must be 2-D float32 CPU tensors");
  TORCH_CHECK(w_hh.size(0) == 4 * w_hh.size(1) && table.size(1) == w_hh.size(0),
              "lstm: W_hh must be (4H, H) and the table (vocabulary, 4H), got ", w_hh.sizes(),
              " and ", table.sizes());
  TORCH_CHECK(tokens.device().is_cpu() && tokens.scalar_type() == at::kLong && tokens.dim() == 2 &&
                  tokens.size(1) > 0,
              "lstm: tokens must be (batch, steps) int64 with at least one step, got ",
              tokens.sizes());
  if (tokens.numel() > 0) {
    const auto [low, high] = at::aminmax(tokens);
    TORCH_CHECK(low.item<int64_t>() >= 0 && high.item<int64_t>() < table.size(0),
                "lstm: token ids must be in [0, ", table.size(0), "), got ids from ",
                low.item<int64_t>(), " to ", high.item<int64_t>());
  }
}

// The input gates looked up per token: table (V, 4H), tokens (B, T) int64 → (B, T, H).
struct LstmFromTable : public torch::autograd::Function<LstmFromTable> {
  static Tensor forward(AutogradContext* ctx, const Tensor& table, const Tensor& tokens,
                        const Tensor& w_hh) {
    check_arguments(table, tokens, w_hh);
    const Tensor tab = table.detach().contiguous();
    const Tensor tok = tokens.contiguous();
    GateSource src;
    src.table = tab.data_ptr<float>();
    src.tokens = tok.data_ptr<int64_t>();
    src.steps = tok.size(1);
    src.width = tab.size(1);
    Saved s = forward_pass(src, w_hh, tok.size(0));
    ctx->saved_data["acts"] = s.acts;
    ctx->saved_data["cs"] = s.cs;
    ctx->saved_data["tcs"] = s.tcs;
    ctx->saved_data["hs"] = s.hs;
    ctx->saved_data["tokens"] = tok;
    ctx->saved_data["vocab"] = tab.size(0);
    ctx->save_for_backward({w_hh});
    return output_of(s.hs);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    Saved s{ctx->saved_data["acts"].toTensor(), ctx->saved_data["cs"].toTensor(),
            ctx->saved_data["tcs"].toTensor(), ctx->saved_data["hs"].toTensor()};
    const Tensor tok = ctx->saved_data["tokens"].toTensor();
    const int64_t vocab = ctx->saved_data["vocab"].toInt();
    const Tensor w_hh = ctx->get_saved_variables()[0];
    Tensor dz = backward_pass(s, w_hh, grads[0].permute({1, 0, 2}));
    const int64_t T = dz.size(0), B = dz.size(1), G = dz.size(2);
    // dz is (T, B, 4H); tokens (B, T): index by the step-major order.
    Tensor idx = tok.t().reshape({-1});
    Tensor d_table = at::zeros({vocab, G}, dz.options());
    d_table.index_add_(0, idx, dz.reshape({T * B, G}));
    return {d_table, Tensor(), w_hh_grad(s, dz)};
  }
};

}  // namespace

// The C interface tch's tensors cross: each takes and returns `at::Tensor*` as tch's C API
// does, and catches every exception into a message the caller frees.
extern "C" {

char* ferrokeras_lstm_from_table(const Tensor* table, const Tensor* tokens, const Tensor* w_hh,
                                 Tensor** out) {
  try {
    *out = new Tensor(LstmFromTable::apply(*table, *tokens, *w_hh));
    return nullptr;
  } catch (const std::exception& e) {
    return strdup(e.what());
  }
}

void ferrokeras_free_message(char* message) { free(message); }

}  // extern "C"
