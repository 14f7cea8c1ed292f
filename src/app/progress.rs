//! The progress bar of a scan: on stderr, only for a person at a terminal reading text, and only once
//! the scan has run long enough to be worth watching (a scan of a few hundred megabytes is over
//! before a bar would be read, so none flashes up). Bytes and files done, throughput, time left when
//! the total is known (files), a running count when it is not (standard input).

use std::{
    sync::atomic::{AtomicBool, AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A scan still running after this long gets a bar.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Progress of one scan, shared by the threads that scan files.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
    wanted: bool,
    started: Instant,
    shown: AtomicBool,
    files: usize,
    files_done: AtomicUsize,
}

impl Progress {
    /// Progress over `files` files of `total` bytes (0 when unknown); drawn only if `wanted`.
    pub fn new(files: usize, total: u64, wanted: bool) -> Progress {
        let bar = ProgressBar::with_draw_target((total > 0).then_some(total), ProgressDrawTarget::hidden());
        let template = if total > 0 {
            "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ({msg}) eta {eta}"
        } else {
            "{spinner} [{elapsed_precise}] {bytes} {bytes_per_sec} ({msg})"
        };
        bar.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_message(format!("0/{files} files"));
        Progress {
            bar,
            wanted,
            started: Instant::now(),
            shown: AtomicBool::new(false),
            files,
            files_done: AtomicUsize::new(0),
        }
    }

    /// Whether a scan that has run for `elapsed` should show its bar.
    pub fn due(&self, elapsed: Duration) -> bool {
        self.wanted && elapsed >= SHOW_AFTER
    }

    /// Counts `bytes` more read, and shows the bar once it is due.
    pub fn read(&self, bytes: usize) {
        self.bar.inc(bytes as u64);
        if !self.shown.load(Ordering::Relaxed)
            && self.due(self.started.elapsed())
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Counts one more file done.
    pub fn file_done(&self) {
        let done = self.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        self.bar.set_message(format!("{done}/{} files", self.files));
    }

    /// Removes the bar, if it was shown.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_due_only_when_wanted_and_after_a_while() {
        let wanted = Progress::new(3, 1 << 30, true);
        assert!(!wanted.due(Duration::from_millis(200)));
        assert!(wanted.due(SHOW_AFTER));
        let unwanted = Progress::new(3, 1 << 30, false);
        assert!(!unwanted.due(Duration::from_secs(60)));
    }

    #[test]
    fn counting_never_draws_an_unwanted_bar() {
        let progress = Progress::new(1, 0, false);
        progress.read(10);
        progress.file_done();
        assert!(!progress.shown.load(Ordering::Relaxed));
        assert_eq!(progress.bar.position(), 10);
        progress.finish();
    }
}
