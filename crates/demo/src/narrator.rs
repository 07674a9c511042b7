//! The demo's narrative: chapters, steps with their duration and the time
//! since the demo began, and indented notes. A spinner on a terminal
//! (stderr), plain lines otherwise; the narrative itself goes to stdout.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Narrator {
    started: Instant,
    spinners: bool,
}

impl Default for Narrator {
    fn default() -> Self {
        Self::new()
    }
}

impl Narrator {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            spinners: std::io::stderr().is_terminal(),
        }
    }

    /// Time since the demo began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn stamp(&self) -> String {
        format!("[{:>5.1}s]", self.started.elapsed().as_secs_f64())
    }

    /// A chapter heading.
    pub fn chapter(&self, title: &str) {
        println!();
        println!("{} ── {title}", self.stamp());
    }

    /// An indented line of explanation or output.
    pub fn note(&self, text: &str) {
        for line in text.lines() {
            println!("           {line}");
        }
    }

    /// Starts a step; end it with [`Step::done`] or [`Step::failed`].
    pub fn step(&self, message: impl Into<String>) -> Step {
        let message = message.into();
        let bar = self.spinners.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .expect("static template"),
            );
            bar.set_message(message.clone());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Step {
            stamp: self.stamp(),
            message,
            bar,
            started: Instant::now(),
        }
    }
}

/// A step in progress.
#[derive(Debug)]
pub struct Step {
    stamp: String,
    message: String,
    bar: Option<ProgressBar>,
    started: Instant,
}

impl Step {
    /// Updates the spinner's text (no output without a terminal).
    pub fn progress(&self, text: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} ({text})", self.message));
        }
    }

    /// Ends the step: `✓ message: result (1.2s)`.
    pub fn done(self, result: &str) -> Duration {
        self.finish("✓", result)
    }

    /// Ends the step as failed: `✗ message: why (1.2s)`.
    pub fn failed(self, why: &str) -> Duration {
        self.finish("✗", why)
    }

    fn finish(self, mark: &str, text: &str) -> Duration {
        let took = self.started.elapsed();
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let text = if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        };
        println!(
            "{} {mark} {}{text} ({:.1}s)",
            self.stamp,
            self.message,
            took.as_secs_f64()
        );
        took
    }
}
