//! Progress on stderr: a spinner per phase on a terminal, a plain log line per event otherwise.

use std::{io::IsTerminal, sync::Mutex};

use indicatif::{ProgressBar, ProgressStyle};

use crate::collect::{Event, Observer};

pub(crate) struct Progress {
    bar: Mutex<Option<ProgressBar>>,
    terminal: bool,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            bar: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// A line of news that is not an engine event ("judging", "report written").
    pub fn note(&self, message: &str) {
        match self.bar.lock().ok().and_then(|bar| bar.clone()) {
            Some(bar) if self.terminal => bar.println(message),
            _ => eprintln!("perf_manual: {message}"),
        }
    }

    pub fn finish(&self) {
        if let Ok(mut bar) = self.bar.lock()
            && let Some(bar) = bar.take()
        {
            bar.finish_and_clear();
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer for Progress {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::PhaseStarted {
                phase,
                time_box,
                steps,
            } => {
                let message = format!("phase {phase}: {steps} step(s), time box {time_box:?}");
                if self.terminal {
                    self.finish();
                    let bar = ProgressBar::new_spinner();
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.enable_steady_tick(std::time::Duration::from_millis(200));
                    bar.set_message(message);
                    if let Ok(mut slot) = self.bar.lock() {
                        *slot = Some(bar);
                    }
                } else {
                    eprintln!("perf_manual: {message}");
                }
            }
            Event::PhaseSkipped { phase, reason } => {
                self.note(&format!("phase {phase} skipped: {reason}"))
            }
            Event::StepEnded {
                phase,
                step,
                status,
            } => self.note(&format!("{phase}/{step}: {status:?}")),
        }
    }
}
