//! An order-preserving parallel map over an iterator, with bounded memory: what
//! `Dataset::map_parallel` and the image-folder readers use to decode on several threads.

use super::ElementIter;
use crate::data_adapter::Batch;
use crate::error::Result;
use crate::runtime::{set_settings, settings};
use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

/// Applies `f` to the items of `input` on `workers` threads and yields the results in input
/// order. About `3 × workers` items are in flight when items cost about the same (one very
/// slow item lets later results queue up behind it); the threads stop when the returned
/// iterator is dropped or the input ends.
pub(crate) fn parallel_ordered<T, I, F>(input: I, f: Arc<F>, workers: usize) -> ElementIter
where
    T: Send + 'static,
    I: Iterator<Item = T> + Send + 'static,
    F: Fn(T) -> Option<Result<Batch>> + Send + Sync + 'static,
{
    let workers = workers.max(1);
    let (task_tx, task_rx) = sync_channel::<(usize, T)>(workers);
    let (done_tx, done_rx) = sync_channel::<(usize, Option<Result<Batch>>)>(workers);
    // The feeder numbers the items and hands them out.
    std::thread::spawn(move || {
        for (i, item) in input.enumerate() {
            if task_tx.send((i, item)).is_err() {
                break;
            }
        }
    });
    let task_rx = Arc::new(Mutex::new(task_rx));
    // Outside the kernel settings are per thread: the workers take the caller's.
    let caller = settings();
    for _ in 0..workers {
        let (rx, tx, f, caller) = (task_rx.clone(), done_tx.clone(), f.clone(), caller.clone());
        std::thread::spawn(move || {
            set_settings(caller);
            loop {
                let next = rx.lock().map(|r| r.recv());
                let Ok(Ok((i, item))) = next else { break };
                if tx.send((i, f(item))).is_err() {
                    break;
                }
            }
        });
    }
    drop(done_tx);
    Box::new(Ordered {
        rx: done_rx,
        next: 0,
        pending: BTreeMap::new(),
    })
}

struct Ordered {
    rx: Receiver<(usize, Option<Result<Batch>>)>,
    next: usize,
    pending: BTreeMap<usize, Option<Result<Batch>>>,
}

impl Iterator for Ordered {
    type Item = Result<Batch>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(r) = self.pending.remove(&self.next) {
                self.next += 1;
                match r {
                    Some(item) => return Some(item),
                    None => continue, // the item was dropped (e.g. an undecodable file)
                }
            }
            match self.rx.recv() {
                Ok((i, r)) => {
                    self.pending.insert(i, r);
                }
                Err(_) => return None,
            }
        }
    }
}
