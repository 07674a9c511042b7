//! Progress for long operations: a spinner on a terminal, plain lines on
//! stderr otherwise (CI logs, pipes). Quiet with `--json` so stdout stays data.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: Option<ProgressBar>,
    quiet: bool,
    started: Instant,
}

impl Progress {
    /// Starts a step, e.g. `Progress::step("starting dev", json)`.
    pub fn step(message: impl Into<String>, quiet: bool) -> Self {
        let message = message.into();
        let bar = if !quiet && std::io::stderr().is_terminal() {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed:.dim}")
                    .expect("static template"),
            );
            bar.set_message(message);
            bar.enable_steady_tick(Duration::from_millis(100));
            Some(bar)
        } else {
            if !quiet {
                eprintln!("{message} …");
            }
            None
        };
        Self {
            bar,
            quiet,
            started: Instant::now(),
        }
    }

    /// Ends the step with a final line.
    pub fn finish(self, message: impl AsRef<str>) {
        let line = format!(
            "{} ({:.1}s)",
            message.as_ref(),
            self.started.elapsed().as_secs_f64()
        );
        match self.bar {
            Some(bar) => {
                bar.set_style(ProgressStyle::with_template("✓ {msg}").expect("static template"));
                bar.finish_with_message(line);
            }
            None if !self.quiet => eprintln!("{line}"),
            None => {}
        }
    }

    /// Ends the step without a line (an error follows).
    pub fn abandon(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
