//! Model selection, as the English notebook does with `KerasClassifier`,
//! `cross_val_score` and `RandomizedSearchCV`: k-fold cross-validation of a closure that
//! builds and compiles a model, and a seeded randomized search over parameter lists.

use crate::error::{Error, Result};
use crate::models::Model;
use crate::runtime::progress::html_escape;
use crate::runtime::{interrupted, MimeBundle, ProgressBar, Render};
use crate::trainers::{Evaluate, Fit};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeMap;
use tch::Tensor;

/// Per-fold scores of [`cross_val_score`].
#[derive(Debug, Clone, PartialEq)]
pub struct CrossValScores {
    /// One score per fold.
    pub scores: Vec<f64>,
}

impl CrossValScores {
    /// The mean score.
    pub fn mean(&self) -> f64 {
        self.scores.iter().sum::<f64>() / self.scores.len().max(1) as f64
    }
    /// The standard deviation of the scores.
    pub fn std(&self) -> f64 {
        let m = self.mean();
        (self.scores.iter().map(|s| (s - m).powi(2)).sum::<f64>() / self.scores.len().max(1) as f64)
            .sqrt()
    }
}

impl Render for CrossValScores {
    fn mime_bundle(&self) -> MimeBundle {
        let folds: Vec<String> = self.scores.iter().map(|s| format!("{s:.4}")).collect();
        MimeBundle::text(format!(
            "scores: [{}]  mean: {:.4}  std: {:.4}",
            folds.join(", "),
            self.mean(),
            self.std()
        ))
    }
}

/// The `k` contiguous folds of `n` examples as `(train_idx, test_idx)` (scikit-learn's
/// `KFold` without shuffling: the first `n % k` folds get one extra example).
fn kfold(n: i64, k: usize) -> Vec<(Vec<i64>, Vec<i64>)> {
    let k = k as i64;
    let mut out = Vec::new();
    let mut start = 0;
    for f in 0..k {
        let len = n / k + i64::from(f < n % k);
        let test: Vec<i64> = (start..start + len).collect();
        let train: Vec<i64> = (0..start).chain(start + len..n).collect();
        out.push((train, test));
        start += len;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn fold_scores(
    build: &dyn Fn() -> Result<Model>,
    x: &Tensor,
    y: &Tensor,
    cv: usize,
    fit: &dyn Fn() -> Fit<'static>,
    scoring: &str,
    bar: &mut ProgressBar,
    done: &mut u64,
) -> Result<Vec<f64>> {
    let n = x.size().first().copied().unwrap_or(0);
    if cv < 2 || n < cv as i64 {
        return Err(Error::InvalidArgument(format!(
            "cv must be at least 2 and at most the {n} examples, got {cv}"
        )));
    }
    let mut scores = Vec::with_capacity(cv);
    for (train, test) in kfold(n, cv) {
        if interrupted() {
            return Err(Error::Interrupted);
        }
        let tr = Tensor::from_slice(&train).to_device(x.device());
        let te = Tensor::from_slice(&test).to_device(x.device());
        let model = build()?;
        let mut opts = fit();
        opts.verbose = 0;
        model.fit(
            &x.index_select(0, &tr),
            &y.index_select(0, &tr.to_device(y.device())),
            opts,
        )?;
        let ev = model.evaluate(
            &x.index_select(0, &te),
            &y.index_select(0, &te.to_device(y.device())),
            Evaluate {
                verbose: 0,
                ..Default::default()
            },
        )?;
        let score = ev.get(scoring).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "scoring '{scoring}' is not computed by the model; it reports: {}",
                ev.values.keys().cloned().collect::<Vec<_>>().join(", ")
            ))
        })?;
        scores.push(if scoring == "loss" { -score } else { score });
        *done += 1;
        bar.update(*done, &format!("last {scoring}: {score:.4}"));
    }
    Ok(scores)
}

/// k-fold cross-validation: builds a fresh model with `build` for each of `cv` folds, fits it
/// with `fit()`'s options on the other folds and scores it (`scoring`: a metric name such as
/// `accuracy`, or `loss`, reported negated so that higher is better).
pub fn cross_val_score(
    build: impl Fn() -> Result<Model>,
    x: &Tensor,
    y: &Tensor,
    cv: usize,
    fit: impl Fn() -> Fit<'static>,
    scoring: &str,
) -> Result<CrossValScores> {
    let mut bar = ProgressBar::new(Some(cv as u64));
    let mut done = 0;
    let scores = fold_scores(&build, x, y, cv, &fit, scoring, &mut bar, &mut done)?;
    bar.finish(&format!(
        "mean {scoring}: {:.4}",
        scores.iter().sum::<f64>() / scores.len() as f64
    ));
    Ok(CrossValScores { scores })
}

/// One value of a searched parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchValue {
    /// An integer (`epochs`, `batch_size`, units).
    Int(i64),
    /// A float (learning rate).
    Float(f64),
    /// A string (`optimizer`, `activation`).
    Str(String),
}

impl std::fmt::Display for SearchValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchValue::Int(i) => write!(f, "{i}"),
            SearchValue::Float(x) => write!(f, "{x}"),
            SearchValue::Str(s) => write!(f, "{s}"),
        }
    }
}
impl From<i64> for SearchValue {
    fn from(v: i64) -> Self {
        SearchValue::Int(v)
    }
}
impl From<i32> for SearchValue {
    fn from(v: i32) -> Self {
        SearchValue::Int(v as i64)
    }
}
impl From<f64> for SearchValue {
    fn from(v: f64) -> Self {
        SearchValue::Float(v)
    }
}
impl From<&str> for SearchValue {
    fn from(v: &str) -> Self {
        SearchValue::Str(v.to_string())
    }
}

/// One candidate's parameters, by name.
pub type SearchParams = BTreeMap<String, SearchValue>;

/// One evaluated candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchCandidate {
    /// Its parameters.
    pub params: SearchParams,
    /// Per-fold scores.
    pub scores: Vec<f64>,
    /// Their mean.
    pub mean_score: f64,
}

/// What [`RandomizedSearch::fit`] returns: every candidate, and the best.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Every candidate in the order tried.
    pub candidates: Vec<SearchCandidate>,
    /// The best mean score.
    pub best_score: f64,
    /// The parameters with the best mean score.
    pub best_params: SearchParams,
}

fn fmt_params(p: &SearchParams) -> String {
    let items: Vec<String> = p.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{{}}}", items.join(", "))
}

impl Render for SearchResults {
    fn mime_bundle(&self) -> MimeBundle {
        let mut text = format!(
            "Best: {:.4} using {}",
            self.best_score,
            fmt_params(&self.best_params)
        );
        let mut html = format!(
            "<p>Best: {:.4} using {}</p><table><thead><tr><th>mean score</th><th>params</th></tr></thead><tbody>",
            self.best_score,
            html_escape(&fmt_params(&self.best_params))
        );
        for c in &self.candidates {
            text.push_str(&format!(
                "\n{:.4} with {}",
                c.mean_score,
                fmt_params(&c.params)
            ));
            html.push_str(&format!(
                "<tr><td>{:.4}</td><td>{}</td></tr>",
                c.mean_score,
                html_escape(&fmt_params(&c.params))
            ));
        }
        html.push_str("</tbody></table>");
        MimeBundle::text(text).with_html(html)
    }
}

/// Keras/scikit-learn's `RandomizedSearchCV`: tries `n_iter` parameter combinations drawn
/// (without repetition, with `seed`) from the lists, each scored by `cv`-fold
/// cross-validation. `epochs` and `batch_size`, if searched, go to `fit`; the build closure
/// gets every parameter.
///
/// ```no_run
/// use ferrokeras::prelude::*;
/// # let (x, y) = (Tensor::zeros([10, 2], (Kind::Float, Device::Cpu)), Tensor::zeros([10], (Kind::Float, Device::Cpu)));
/// let search = RandomizedSearch::new()
///     .param("optimizer", ["sgd", "adam"])
///     .param("epochs", [3, 5])
///     .n_iter(3).cv(3).seed(42);
/// let results = search.fit(|p| {
///     let model = Sequential::new().add(Input::new([2])).add(Dense::new(1).activation("sigmoid"));
///     model.compile(p["optimizer"].to_string().as_str(), "binary_crossentropy", ["accuracy"])?;
///     Ok(model.model())
/// }, &x, &y)?;
/// # Ok::<(), ferrokeras::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RandomizedSearch {
    params: Vec<(String, Vec<SearchValue>)>,
    n_iter: usize,
    cv: usize,
    seed: u64,
    scoring: String,
    batch_size: usize,
    epochs: usize,
}

impl Default for RandomizedSearch {
    fn default() -> Self {
        Self::new()
    }
}

impl RandomizedSearch {
    /// scikit-learn's defaults: `n_iter` 10, `cv` 5, scoring `accuracy`.
    pub fn new() -> Self {
        RandomizedSearch {
            params: Vec::new(),
            n_iter: 10,
            cv: 5,
            seed: 0,
            scoring: "accuracy".into(),
            batch_size: 32,
            epochs: 1,
        }
    }
    /// Adds a parameter and its candidate values.
    pub fn param<V: Into<SearchValue>>(
        mut self,
        name: &str,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        self.params.push((
            name.to_string(),
            values.into_iter().map(Into::into).collect(),
        ));
        self
    }
    /// How many combinations to try.
    pub fn n_iter(mut self, n: usize) -> Self {
        self.n_iter = n;
        self
    }
    /// Folds per candidate.
    pub fn cv(mut self, cv: usize) -> Self {
        self.cv = cv;
        self
    }
    /// The seed of the draw and of each model's initialisation.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The metric to maximise (`accuracy`, `mae`, …, or `loss`, negated).
    pub fn scoring(mut self, s: &str) -> Self {
        self.scoring = s.to_string();
        self
    }

    fn grid(&self) -> Vec<SearchParams> {
        let mut grid = vec![SearchParams::new()];
        for (name, values) in &self.params {
            grid = grid
                .into_iter()
                .flat_map(|p| {
                    values.iter().map(move |v| {
                        let mut q = p.clone();
                        q.insert(name.clone(), v.clone());
                        q
                    })
                })
                .collect();
        }
        grid
    }

    /// Runs the search with a closure that builds and compiles a model from the parameters.
    pub fn fit(
        &self,
        build: impl Fn(&SearchParams) -> Result<Model>,
        x: &Tensor,
        y: &Tensor,
    ) -> Result<SearchResults> {
        let mut grid = self.grid();
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.seed);
        grid.shuffle(&mut rng);
        grid.truncate(self.n_iter.max(1));
        let mut bar = ProgressBar::new(Some((grid.len() * self.cv) as u64));
        let mut done = 0;
        let mut candidates = Vec::new();
        for (i, params) in grid.into_iter().enumerate() {
            let epochs = match params.get("epochs") {
                Some(SearchValue::Int(e)) => *e as usize,
                _ => self.epochs,
            };
            let batch_size = match params.get("batch_size") {
                Some(SearchValue::Int(b)) => *b as usize,
                _ => self.batch_size,
            };
            crate::backend::set_random_seed(self.seed.wrapping_add(i as u64));
            let scores = fold_scores(
                &|| build(&params),
                x,
                y,
                self.cv,
                &|| Fit {
                    epochs,
                    batch_size,
                    verbose: 0,
                    ..Default::default()
                },
                &self.scoring,
                &mut bar,
                &mut done,
            )?;
            let mean_score = scores.iter().sum::<f64>() / scores.len() as f64;
            candidates.push(SearchCandidate {
                params,
                scores,
                mean_score,
            });
        }
        let best = candidates
            .iter()
            .max_by(|a, b| a.mean_score.total_cmp(&b.mean_score))
            .cloned()
            .ok_or_else(|| Error::InvalidArgument("the search has no candidates".into()))?;
        bar.finish(&format!("best {}: {:.4}", self.scoring, best.mean_score));
        Ok(SearchResults {
            candidates,
            best_score: best.mean_score,
            best_params: best.params,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_covers_every_example_once() {
        let folds = kfold(10, 3);
        assert_eq!(
            folds.iter().map(|f| f.1.len()).collect::<Vec<_>>(),
            vec![4, 3, 3]
        );
        let mut all: Vec<i64> = folds.iter().flat_map(|f| f.1.clone()).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(folds[1].0.len(), 7);
    }

    #[test]
    fn grid_is_the_product() {
        let s = RandomizedSearch::new()
            .param("a", [1, 2])
            .param("b", ["x", "y", "z"]);
        assert_eq!(s.grid().len(), 6);
    }
}
