//! Training throughput: ferrokeras `fit` against the same model written directly with `tch`
//! in the same run, on synthetic data of the seed notebooks' shapes.
//!
//! `cargo bench -p ferrokeras --bench training` prints samples/s for each and the ratio: the
//! best wall-clock round, the median round, and samples per CPU-second of the training thread
//! (steady on a loaded machine). The median is the figure to quote: the best of 16 short
//! rounds follows the one luckiest round of each loop, and swung the MLP's ratio between
//! 0.90 and 1.04 over runs whose medians agreed within 2%.
//! Set `FERROKERAS_BENCH_SECONDS` to change the time per model (default 6). Metrics are off in
//! both loops so they do the same work.
//!
//! `cargo bench -p ferrokeras --bench training -- denormal` times 6 epochs of an RMSprop MLP
//! epoch by epoch, ferrokeras (denormals flushed) beside plain tch.
//! `cargo bench -p ferrokeras --bench training -- keras` runs the same three models in Keras 3
//! on TensorFlow's CPU backend (`benches/keras_tf.py`, in a scratch virtualenv) in the same run
//! and prints ferrokeras/Keras samples/s over 5 epochs each (`FERROKERAS_BENCH_EPOCHS=N` for N:
//! five epochs of the CNN last about a second, so single runs swing ±10%).

use ferrokeras::prelude::*;
use std::time::Instant;
use tch::nn;

fn seconds() -> f64 {
    std::env::var("FERROKERAS_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6.0)
}

/// CPU time of the calling thread in seconds (user + system, from `/proc/thread-self/stat`),
/// or `None` where that is not available. With one intra-op thread libtorch runs every op on
/// the calling thread, so this counts the work done whatever else loads the machine.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3, utime 14 and stime 15 (1-based, whole line).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// One loop's figures: best wall-clock samples/s over the rounds, and samples per CPU-second
/// over all rounds.
#[derive(Default, Clone)]
struct Figures {
    wall: f64,
    samples: f64,
    cpu: f64,
    /// Samples/s of each round, for the median.
    rounds: Vec<f64>,
}

impl Figures {
    fn per_cpu_second(&self) -> Option<f64> {
        (self.cpu > 0.0).then(|| self.samples / self.cpu)
    }
}

/// Measures two training loops over `n` samples each, alternating short rounds (the machine is
/// shared, so load comes and goes) for about `seconds()` in all after one warm-up run each.
fn compare(n: i64, mut a: impl FnMut(), mut b: impl FnMut()) -> (Figures, Figures) {
    a();
    b();
    let rounds = 16;
    let per = seconds() / (2 * rounds) as f64;
    let mut figs = (Figures::default(), Figures::default());
    let time = |f: &mut dyn FnMut(), fig: &mut Figures| {
        let cpu0 = thread_cpu_seconds();
        let start = Instant::now();
        let mut done = 0;
        while start.elapsed().as_secs_f64() < per || done == 0 {
            f();
            done += 1;
        }
        let wall = start.elapsed().as_secs_f64();
        fig.wall = fig.wall.max((n * done) as f64 / wall);
        fig.rounds.push((n * done) as f64 / wall);
        fig.samples += (n * done) as f64;
        if let (Some(c0), Some(c1)) = (cpu0, thread_cpu_seconds()) {
            fig.cpu += c1 - c0;
        }
    };
    for _ in 0..rounds {
        time(&mut a, &mut figs.0);
        time(&mut b, &mut figs.1);
    }
    figs
}

/// The middle value (upper middle for an even count).
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn report(name: &str, (fk, direct): (Figures, Figures)) {
    println!(
        "{name:<40} wall (best round): ferrokeras {:>8.0}  tch {:>8.0}  ratio {:.3}",
        fk.wall,
        direct.wall,
        fk.wall / direct.wall
    );
    let (a, b) = (median(&fk.rounds), median(&direct.rounds));
    println!(
        "{:<40} wall (median):      ferrokeras {a:>8.0}  tch {b:>8.0}  ratio {:.3}",
        "",
        a / b
    );
    if let (Some(a), Some(b)) = (fk.per_cpu_second(), direct.per_cpu_second()) {
        println!(
            "{:<40} per CPU-second:    ferrokeras {a:>8.0}  tch {b:>8.0}  ratio {:.3}",
            "",
            a / b
        );
    }
}

/// Times one epoch of `model.fit` on `(x, y)` in batches of `batch` against `direct`, the tch
/// loop over the same data, and prints the figures as `name`.
fn fit_against_direct(
    name: &str,
    model: &Model,
    (x, y): (&Tensor, &Tensor),
    batch: usize,
    direct: impl FnMut(),
) {
    let opts = || Fit {
        epochs: 1,
        batch_size: batch,
        shuffle: false,
        verbose: 0,
        ..Default::default()
    };
    let fit = || {
        model.fit(x, y, opts()).unwrap();
    };
    report(name, compare(x.size()[0], fit, direct));
}

/// Keras's Adam defaults (`learning_rate` 1e-3, `epsilon` 1e-7) for the tch models.
fn keras_adam(vs: &nn::VarStore) -> nn::Optimizer {
    nn::Adam {
        eps: 1e-7,
        ..Default::default()
    }
    .build(vs, 1e-3)
    .unwrap()
}

/// Direct tch training loop over `(x, y)` in order, as a tch user writes it.
fn direct_epoch(
    x: &Tensor,
    y: &Tensor,
    batch: i64,
    opt: &mut nn::Optimizer,
    forward: &dyn Fn(&Tensor) -> Tensor,
) {
    let n = x.size()[0];
    let mut start = 0;
    while start < n {
        let len = batch.min(n - start);
        let xb = x.narrow(0, start, len).to_device(x.device());
        let yb = y.narrow(0, start, len);
        let loss = forward(&xb).cross_entropy_for_logits(&yb);
        opt.backward_step(&loss);
        start += len;
    }
}

/// A bench model with its data: `(model, x, y, batch size)`.
type Setup = (Model, Tensor, Tensor, usize);

/// A named bench model's constructor.
type NamedSetup = (&'static str, fn(Device) -> Setup);

/// The MNIST MLP and its data.
fn mlp_setup(device: Device) -> Setup {
    let n = 128 * 40;
    let x = Tensor::rand([n, 28, 28], (Kind::Float, device));
    let y = Tensor::randint(10, [n], (Kind::Int64, device));
    let model = Sequential::new()
        .add(Input::new([28, 28]))
        .add(Flatten::new())
        .add(Dense::new(512).activation("relu"))
        .add(Dense::new(10).activation("softmax"));
    model
        .compile("rmsprop", "sparse_categorical_crossentropy", ())
        .unwrap();
    (model.model(), x, y, 128)
}

/// The MNIST MLP written directly with tch, with Keras's RMSprop defaults: its optimizer and
/// forward pass.
fn direct_mlp(device: Device) -> (nn::Optimizer, impl Fn(&Tensor) -> Tensor) {
    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let l1 = nn::linear(&root / "l1", 784, 512, Default::default());
    let l2 = nn::linear(&root / "l2", 512, 10, Default::default());
    let opt = nn::RmsProp {
        alpha: 0.9,
        eps: 1e-7,
        ..Default::default()
    }
    .build(&vs, 1e-3)
    .unwrap();
    (opt, move |xb: &Tensor| {
        xb.flatten(1, -1).apply(&l1).relu().apply(&l2)
    })
}

fn mnist_mlp(device: Device) {
    let (model, x, y, _) = mlp_setup(device);
    let (mut opt, fwd) = direct_mlp(device);
    fit_against_direct(
        "MNIST MLP (Dense 512, batch 128)",
        &model,
        (&x, &y),
        128,
        || direct_epoch(&x, &y, 128, &mut opt, &fwd),
    );
}

/// The CIFAR CNN and its data (channels last).
fn cnn_setup(device: Device) -> Setup {
    let n = 32 * 20;
    let x = Tensor::rand([n, 32, 32, 3], (Kind::Float, device));
    let y = Tensor::randint(10, [n], (Kind::Int64, device));
    let model = Sequential::new()
        .add(Input::new([32, 32, 3]))
        .add(Conv2D::new(32, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Conv2D::new(64, (3, 3)).activation("relu"))
        .add(MaxPooling2D::new((2, 2)))
        .add(Conv2D::new(64, (3, 3)).activation("relu"))
        .add(Flatten::new())
        .add(Dense::new(64).activation("relu"))
        .add(Dense::new(10));
    let loss = SparseCategoricalCrossentropy::new().from_logits(true);
    model.compile("adam", loss, ()).unwrap();
    (model.model(), x, y, 32)
}

/// The CIFAR CNN written directly with tch, with Keras's Adam defaults: its optimizer and
/// forward pass, for channels-first input `(n, 3, 32, 32)`. With `channels_last` the
/// convolution weights are stored in PyTorch's channels-last memory format (as ferrokeras's
/// are) and the last feature map is flattened in that order, so no step copies.
fn direct_cnn(device: Device, channels_last: bool) -> (nn::Optimizer, impl Fn(&Tensor) -> Tensor) {
    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let mut convs = [(3, 32), (32, 64), (64, 64)]
        .map(|(i, o)| nn::conv2d(&root / format!("c{o}{i}"), i, o, 3, Default::default()));
    if channels_last {
        for c in &mut convs {
            let w =
                c.ws.permute([0, 2, 3, 1])
                    .contiguous()
                    .permute([0, 3, 1, 2]);
            tch::no_grad(|| c.ws.set_data(&w));
        }
    }
    let d1 = nn::linear(&root / "d1", 1024, 64, Default::default());
    let d2 = nn::linear(&root / "d2", 64, 10, Default::default());
    let opt = keras_adam(&vs);
    let [c1, c2, c3] = convs;
    (opt, move |xb: &Tensor| {
        let features = xb
            .apply(&c1)
            .relu()
            .max_pool2d_default(2)
            .apply(&c2)
            .relu()
            .max_pool2d_default(2)
            .apply(&c3)
            .relu();
        let features = if channels_last {
            features.permute([0, 2, 3, 1])
        } else {
            features
        };
        features.flatten(1, -1).apply(&d1).relu().apply(&d2)
    })
}

fn cifar_cnn(device: Device) {
    let (model, x, y, _) = cnn_setup(device);
    // Channels-first copies, and channels-first views of the channels-last data.
    let x_nchw = x.permute([0, 3, 1, 2]).contiguous();
    let x_cl = x.permute([0, 3, 1, 2]);
    for (layout, x_direct, channels_last) in
        [("NCHW", &x_nchw, false), ("channels_last", &x_cl, true)]
    {
        let (mut opt, fwd) = direct_cnn(device, channels_last);
        let name = format!("CIFAR CNN (3 conv, batch 32), tch {layout}");
        fit_against_direct(&name, &model, (&x, &y), 32, || {
            direct_epoch(x_direct, &y, 32, &mut opt, &fwd)
        });
    }
}

/// The Shakespeare LSTM and its data.
fn lstm_setup(device: Device) -> Setup {
    let n = 128 * 8;
    let steps = 40;
    let x = Tensor::randint(39, [n, steps], (Kind::Int64, device));
    let y = Tensor::randint(39, [n], (Kind::Int64, device));
    let model = Sequential::new()
        .add(Input::new([steps]))
        .add(Embedding::new(39, 64))
        .add(LSTM::new(128))
        .add(Dense::new(39).activation("softmax"));
    model
        .compile("adam", "sparse_categorical_crossentropy", ())
        .unwrap();
    (model.model(), x, y, 128)
}

/// ferrokeras's LSTM reads an Embedding, so on the CPU it runs on the prelude's own kernel
/// (input projection on the 39-row table, `backend::lstm_cpu`); direct tch's on libtorch's
/// (oneDNN's) LSTM, as a tch user writes it.
fn shakespeare_lstm(device: Device) {
    let (model, x, y, _) = lstm_setup(device);

    let vs = nn::VarStore::new(device);
    let root = vs.root();
    let emb = nn::embedding(&root / "emb", 39, 64, Default::default());
    let lstm = nn::lstm(&root / "lstm", 64, 128, Default::default());
    let dense = nn::linear(&root / "dense", 128, 39, Default::default());
    let mut opt = keras_adam(&vs);
    let fwd = |xb: &Tensor| {
        let e = xb.apply(&emb);
        let (_, state) = nn::RNN::seq(&lstm, &e);
        let h = state.h();
        h.squeeze_dim(0).apply(&dense)
    };
    let name = "Shakespeare LSTM (Emb 39→64, LSTM 128)";
    fit_against_direct(name, &model, (&x, &y), 128, || {
        direct_epoch(&x, &y, 128, &mut opt, &fwd)
    });
}

/// ferrokeras's samples/s over `epochs` epochs of `fit` (after one warm-up epoch), as a
/// student's `model.fit(x, y, epochs=5)` runs: all epochs, not the best one.
fn fit_epochs(setup: fn(Device) -> Setup, device: Device, epochs: usize) -> f64 {
    let (model, x, y, batch) = setup(device);
    let opts = |epochs| Fit {
        epochs,
        batch_size: batch,
        shuffle: false,
        verbose: 0,
        ..Default::default()
    };
    model.fit(&x, &y, opts(1)).unwrap();
    let start = Instant::now();
    model.fit(&x, &y, opts(epochs)).unwrap();
    (x.size()[0] as usize * epochs) as f64 / start.elapsed().as_secs_f64()
}

/// The same three models in Keras 3 on TensorFlow's CPU backend (`benches/keras_tf.py`, run by
/// the Python of `FERROKERAS_KERAS_PYTHON`, default the scratch virtualenv its docstring makes),
/// measured in this run right after ferrokeras's, and then ferrokeras's again: ratios of
/// samples/s over 5 epochs (or `FERROKERAS_BENCH_EPOCHS`).
fn keras_comparison(device: Device, threads: i32) {
    let epochs: usize = std::env::var("FERROKERAS_BENCH_EPOCHS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let python = std::env::var("FERROKERAS_KERAS_PYTHON")
        .unwrap_or_else(|_| "/root/.cache/ferrokeras-scratch/keras-tf/bin/python".into());
    if !std::path::Path::new(&python).exists() {
        println!("keras comparison skipped: no Keras/TensorFlow Python at {python} (see benches/keras_tf.py)");
        return;
    }
    let models: [NamedSetup; 3] = [("mlp", mlp_setup), ("cnn", cnn_setup), ("lstm", lstm_setup)];
    let ours = |round: usize| -> Vec<f64> {
        models
            .iter()
            .map(|(name, setup)| {
                let r = fit_epochs(*setup, device, epochs);
                println!(
                    "  round {round}: ferrokeras {name}: {r:.0} samples/s over {epochs} epochs"
                );
                r
            })
            .collect()
    };
    let first = ours(1);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/keras_tf.py");
    let out = std::process::Command::new(&python)
        .args([script, "--threads", &threads.to_string()])
        .args(["--epochs", &epochs.to_string()])
        .output()
        .expect("run keras_tf.py");
    let keras: Vec<(String, f64)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            Some((
                v["model"].as_str()?.to_string(),
                v["samples_per_s"].as_f64()?,
            ))
        })
        .collect();
    for (name, r) in &keras {
        println!("  keras-tf {name}: {r:.0} samples/s over {epochs} epochs");
    }
    let second = ours(2);
    println!("ferrokeras / Keras 3 (TensorFlow CPU), samples/s over {epochs} epochs:");
    for (i, (name, _)) in models.iter().enumerate() {
        match keras.iter().find(|(k, _)| k == name) {
            Some((_, k)) => println!(
                "  {name}: {:.2}x and {:.2}x (ferrokeras before and after Keras)",
                first[i] / k,
                second[i] / k
            ),
            None => println!(
                "  {name}: no Keras figure ({})",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
        }
    }
}

/// Milliseconds per step of each of `epochs` epochs of an RMSprop MLP on random data, in a new
/// thread (the CPU's denormal mode is per thread): ferrokeras's `fit`, which flushes denormals
/// to zero as TensorFlow does, and the same loop in plain tch, which does not.
fn denormal_epochs(device: Device, epochs: usize) {
    let per_epoch = |ferrokeras: bool| -> Vec<f64> {
        std::thread::spawn(move || {
            let (model, x, y, batch) = mlp_setup(device);
            let steps = x.size()[0] as f64 / batch as f64;
            let (mut opt, fwd) = direct_mlp(device);
            (0..epochs)
                .map(|_| {
                    let start = Instant::now();
                    if ferrokeras {
                        let opts = Fit {
                            batch_size: batch,
                            shuffle: false,
                            verbose: 0,
                            ..Default::default()
                        };
                        model.fit(&x, &y, opts).unwrap();
                    } else {
                        direct_epoch(&x, &y, batch as i64, &mut opt, &fwd);
                    }
                    start.elapsed().as_secs_f64() * 1e3 / steps
                })
                .collect()
        })
        .join()
        .unwrap()
    };
    let show = |v: &[f64]| {
        v.iter()
            .map(|ms| format!("{ms:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("MNIST MLP, RMSprop, random data: ms/step by epoch");
    println!(
        "  direct tch (denormals kept):       {}",
        show(&per_epoch(false))
    );
    println!(
        "  ferrokeras fit (flushed to zero):  {}",
        show(&per_epoch(true))
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter selects models.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    // One intra-op thread by default: the ratio is what matters and it is far steadier on a
    // shared machine; FERROKERAS_BENCH_THREADS=N uses N.
    let threads = std::env::var("FERROKERAS_BENCH_THREADS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    tch::set_num_threads(threads);
    let device = current_device();
    println!(
        "training throughput on {device:?} ({} intra-op threads), {:.0}s per model, best of 16 alternating rounds",
        tch::get_num_threads(),
        seconds()
    );
    if want("mlp") {
        mnist_mlp(device);
    }
    if want("cnn") {
        cifar_cnn(device);
    }
    if want("lstm") {
        shakespeare_lstm(device);
    }
    if want("denormal") {
        denormal_epochs(device, 6);
    }
    if want("keras") {
        keras_comparison(device, threads);
    }
}
