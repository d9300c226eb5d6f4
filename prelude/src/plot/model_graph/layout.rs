//! The abstract layout of a model graph: each box's rank (longest path from the inputs), the
//! "dummy" nodes that carry an arrow across the ranks it skips, the order of the nodes within
//! each rank (barycenter sweeps) and their centres across it (least squares, a gap apart).

use crate::error::{Error, Result};

const BOX_GAP: f64 = 28.0;
const DUMMY_GAP: f64 = 14.0;

/// Rank of each box: 0 for boxes without arrows in, else one more than its highest
/// predecessor. `Err` if the arrows form a cycle.
pub(super) fn longest_path_ranks(succ: &[Vec<usize>]) -> Result<Vec<usize>> {
    let n = succ.len();
    let mut indeg = vec![0usize; n];
    succ.iter().flatten().for_each(|&b| indeg[b] += 1);
    let mut ready: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).rev().collect();
    let mut rank = vec![0usize; n];
    let mut done = 0;
    while let Some(u) = ready.pop() {
        done += 1;
        for &v in &succ[u] {
            rank[v] = rank[v].max(rank[u] + 1);
            indeg[v] -= 1;
            if indeg[v] == 0 {
                ready.push(v);
            }
        }
    }
    if done < n {
        return Err(Error::InvalidArgument(
            "plot_model: the arrows form a cycle; a model graph has none".into(),
        ));
    }
    Ok(rank)
}

/// The graph with every arrow that skips ranks split by "dummy" nodes, one per skipped rank,
/// so that each arrow joins neighbouring ranks. Nodes `0..real` are the boxes.
pub(super) struct Layered {
    pub(super) real: usize,
    pub(super) rank: Vec<usize>,
    /// Size across the rank (0 for dummies).
    pub(super) size: Vec<f64>,
    succ: Vec<Vec<usize>>,
    pred: Vec<Vec<usize>>,
    /// Each arrow as the nodes it passes: box, dummies, box.
    pub(super) paths: Vec<Vec<usize>>,
    pub(super) ranks: usize,
}

impl Layered {
    pub(super) fn new(box_succ: &[Vec<usize>], box_rank: &[usize], box_size: &[f64]) -> Self {
        let real = box_succ.len();
        let mut l = Layered {
            real,
            rank: box_rank.to_vec(),
            size: box_size.to_vec(),
            succ: vec![Vec::new(); real],
            pred: vec![Vec::new(); real],
            paths: Vec::new(),
            ranks: box_rank.iter().max().map_or(0, |m| m + 1),
        };
        for (u, targets) in box_succ.iter().enumerate() {
            for &v in targets {
                let mut path = vec![u];
                for r in box_rank[u] + 1..box_rank[v] {
                    l.rank.push(r);
                    l.size.push(0.0);
                    l.succ.push(Vec::new());
                    l.pred.push(Vec::new());
                    path.push(l.rank.len() - 1);
                }
                path.push(v);
                for w in path.windows(2) {
                    l.succ[w[0]].push(w[1]);
                    l.pred[w[1]].push(w[0]);
                }
                l.paths.push(path);
            }
        }
        l
    }

    /// The nodes of each rank in drawing order: boxes by index, then barycenter sweeps down
    /// and up, keeping the order with the fewest crossings.
    pub(super) fn order(&self) -> Vec<Vec<usize>> {
        let mut order = vec![Vec::new(); self.ranks];
        for v in 0..self.rank.len() {
            order[self.rank[v]].push(v);
        }
        let mut best = order.clone();
        let mut best_crossings = self.crossings(&order);
        for sweep in 0..8 {
            let down = sweep % 2 == 0;
            let rs: Vec<usize> = if down {
                (1..self.ranks).collect()
            } else {
                (0..self.ranks.saturating_sub(1)).rev().collect()
            };
            for r in rs {
                let (fixed, adj) = if down {
                    (r - 1, &self.pred)
                } else {
                    (r + 1, &self.succ)
                };
                let at = index_of(&order[fixed], self.rank.len());
                let mut keyed: Vec<(f64, usize)> = order[r]
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        (
                            mean(adj[v].iter().map(|&u| at[u] as f64)).unwrap_or(i as f64),
                            v,
                        )
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                order[r] = keyed.into_iter().map(|(_, v)| v).collect();
            }
            let c = self.crossings(&order);
            if c < best_crossings {
                best_crossings = c;
                best = order.clone();
            }
        }
        best
    }

    /// Arrow crossings between neighbouring ranks.
    fn crossings(&self, order: &[Vec<usize>]) -> usize {
        let mut total = 0;
        for r in 0..order.len().saturating_sub(1) {
            let top = index_of(&order[r], self.rank.len());
            let bottom = index_of(&order[r + 1], self.rank.len());
            let segs: Vec<(usize, usize)> = order[r]
                .iter()
                .flat_map(|&u| self.succ[u].iter().map(move |&v| (u, v)))
                .map(|(u, v)| (top[u], bottom[v]))
                .collect();
            for (i, a) in segs.iter().enumerate() {
                total += segs[i + 1..]
                    .iter()
                    .filter(|b| (a.0 < b.0 && a.1 > b.1) || (a.0 > b.0 && a.1 < b.1))
                    .count();
            }
        }
        total
    }

    /// The centre of each node across its rank: alternately pulled towards the nodes above
    /// and below (least squares, keeping order and gaps), boxes more firmly than dummies.
    pub(super) fn positions(&self, order: &[Vec<usize>], s: f64) -> Vec<f64> {
        let mut x = vec![0.0; self.rank.len()];
        let seps = |nodes: &[usize]| -> Vec<f64> {
            nodes
                .windows(2)
                .map(|w| {
                    let gap = if w[0] < self.real && w[1] < self.real {
                        BOX_GAP
                    } else {
                        DUMMY_GAP
                    };
                    (self.size[w[0]] + self.size[w[1]]) / 2.0 + gap * s
                })
                .collect()
        };
        for nodes in order {
            let sep = seps(nodes);
            let total: f64 = sep.iter().sum();
            let mut at = -total / 2.0;
            for (i, &v) in nodes.iter().enumerate() {
                x[v] = at;
                at += sep.get(i).copied().unwrap_or(0.0);
            }
        }
        let weight = |v: usize| if v < self.real { 4.0 } else { 1.0 };
        for pass in 0..12 {
            let (rs, adj): (Vec<usize>, _) = match pass % 3 {
                0 => ((1..self.ranks).collect(), &self.pred),
                1 => (
                    (0..self.ranks.saturating_sub(1)).rev().collect(),
                    &self.succ,
                ),
                _ => ((0..self.ranks).collect(), &self.pred),
            };
            for r in rs {
                let nodes = &order[r];
                let desired: Vec<f64> = nodes
                    .iter()
                    .map(|&v| {
                        let both = (pass % 3 == 2).then(|| self.succ[v].iter());
                        mean(
                            adj[v]
                                .iter()
                                .chain(both.into_iter().flatten())
                                .map(|&u| x[u]),
                        )
                        .unwrap_or(x[v])
                    })
                    .collect();
                let w: Vec<f64> = nodes.iter().map(|&v| weight(v)).collect();
                let placed = spaced_fit(&desired, &seps(nodes), &w);
                for (&v, p) in nodes.iter().zip(placed) {
                    x[v] = p;
                }
            }
        }
        x
    }
}

/// Position of each node in `nodes`, indexed by node (others `usize::MAX`).
fn index_of(nodes: &[usize], len: usize) -> Vec<usize> {
    let mut at = vec![usize::MAX; len];
    nodes.iter().enumerate().for_each(|(i, &v)| at[v] = i);
    at
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// Positions closest (weighted least squares) to `desired` with `x[i+1] - x[i] >= sep[i]`:
/// an isotonic regression of `desired - offset` by pool-adjacent-violators.
fn spaced_fit(desired: &[f64], sep: &[f64], weight: &[f64]) -> Vec<f64> {
    let mut offset = Vec::with_capacity(desired.len());
    let mut o = 0.0;
    for i in 0..desired.len() {
        offset.push(o);
        o += sep.get(i).copied().unwrap_or(0.0);
    }
    // Blocks of (weighted sum, total weight, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..desired.len() {
        blocks.push(((desired[i] - offset[i]) * weight[i], weight[i], 1));
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 / a.1 <= b.0 / b.1 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    blocks
        .iter()
        .flat_map(|&(sum, w, count)| std::iter::repeat_n(sum / w, count))
        .zip(offset)
        .map(|(y, o)| y + o)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_graphs::*;
    use super::super::PlotModel;

    #[test]
    fn chain_of_four_has_four_ranks_in_a_straight_column() {
        let d = draw(&chain(), PlotModel::default());
        assert_eq!(d.ranks(), &[0, 1, 2, 3]);
        assert_in_line(&d.box_rects(), false);
    }

    #[test]
    fn diamond_puts_branches_side_by_side_and_add_below_both() {
        let d = draw(&diamond(), opts(true, "TB", 96));
        assert_eq!(d.ranks(), &[0, 1, 1, 2, 3]);
        let r = d.box_rects();
        // a and b in one row, apart, not overlapping.
        assert!((centre(r[1]).1 - centre(r[2]).1).abs() <= 1, "{r:?}");
        assert!(
            r[1].0 + r[1].2 < r[2].0 || r[2].0 + r[2].2 < r[1].0,
            "{r:?}"
        );
        for branch in [r[1], r[2]] {
            assert!(
                r[3].1 > branch.1 + branch.3,
                "add below both branches: {r:?}"
            );
        }
        // The input, add and output sit centred between the branches.
        let mid = (centre(r[1]).0 + centre(r[2]).0) / 2;
        for i in [0, 3, 4] {
            assert!((centre(r[i]).0 - mid).abs() <= 2, "box {i}: {r:?}");
        }
    }

    #[test]
    fn crossings_are_removed() {
        // Listed so that the first order crosses: x0 → b, x1 → a, with a before b.
        let g = graph(
            &[
                ("x0", "InputLayer"),
                ("x1", "InputLayer"),
                ("a", "Dense"),
                ("b", "Dense"),
            ],
            &[(0, 3), (1, 2)],
        );
        let d = draw(&g, PlotModel::default());
        let r = d.box_rects();
        assert_eq!(r[0].0 < r[1].0, r[3].0 < r[2].0, "{r:?}");
    }
}
