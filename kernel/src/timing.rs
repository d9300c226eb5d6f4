//! Phase timings on stderr (`FERROKERAS_TIMING=1`).

use std::time::Duration;

/// Start-up phase timings on stderr when `FERROKERAS_TIMING=1` (for the benchmark).
pub struct Timing {
    start: std::time::Instant,
    enabled: bool,
}

impl Timing {
    pub fn new() -> Self {
        Self {
            start: std::time::Instant::now(),
            enabled: std::env::var("FERROKERAS_TIMING").is_ok_and(|v| v == "1"),
        }
    }
    pub fn detail(&self, what: &str, took: Duration) {
        if self.enabled {
            eprintln!("ferrokeras timing:   {:>6.3}s   {what}", took.as_secs_f64());
        }
    }
    pub fn phase(&self, what: &str) {
        if self.enabled {
            eprintln!(
                "ferrokeras timing: {:>6.2}s {what}",
                self.start.elapsed().as_secs_f64()
            );
        }
    }
}
