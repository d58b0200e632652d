//! What a build shows while it runs: on stderr, and only when stderr is a terminal (nothing on a
//! pipe, nothing with `-q`). Each column has one live line naming it and its stage (discover,
//! parse, cover, images, package, check), the image stage as a bar with the images done, the
//! bytes made and the time left; as a stage ends, a line saying what it did is left above. The
//! live lines are cleared when the builds end: what was written is printed after, by the binary.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The lines of every column of one `build` command.
#[derive(Debug, Clone)]
pub struct Board {
    multi: Option<MultiProgress>,
}

impl Board {
    /// Lines that are drawn when `wanted` (not `-q`) and stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        use std::io::IsTerminal;
        let draw = wanted && std::io::stderr().is_terminal();
        Board {
            multi: draw.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// The line of the column `name`; `name` is shown only when there are several columns.
    pub fn column(&self, name: Option<String>) -> Progress {
        let line = match &self.multi {
            Some(multi) => multi.add(ProgressBar::new_spinner()),
            None => ProgressBar::hidden(),
        };
        line.set_prefix(name.map(|n| format!("{n}: ")).unwrap_or_default());
        Progress {
            line,
            started: Instant::now(),
            made: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// One column's line.
#[derive(Debug, Clone)]
pub struct Progress {
    line: ProgressBar,
    started: Instant,
    /// Bytes of book-ready image files made so far.
    made: Arc<AtomicU64>,
}

impl Progress {
    /// A line that is never drawn.
    pub fn hidden() -> Self {
        Board { multi: None }.column(None)
    }

    /// `stage` has begun.
    pub fn stage(&mut self, stage: &'static str) {
        self.started = Instant::now();
        // The stage is in the template, so one call changes the whole line.
        self.line.set_style(
            ProgressStyle::with_template(&format!("{{prefix}}{stage} {{spinner}} {{elapsed}}"))
                .expect("the stage template is valid"),
        );
        if !self.line.is_hidden() {
            self.line.enable_steady_tick(Duration::from_millis(120));
        }
    }

    /// The image stage has begun, with `images` to get and make.
    pub fn images(&mut self, images: usize) {
        self.started = Instant::now();
        self.line.disable_steady_tick();
        self.line.set_style(
            ProgressStyle::with_template("{prefix}images {bar:30} {pos}/{len} {msg} (ETA {eta})")
                .expect("the image template is valid"),
        );
        self.line.set_length(images as u64);
        self.line.set_position(0);
        self.line.reset_eta();
    }

    /// One image is done, and made `bytes` of files for the book.
    pub fn image_done(&self, bytes: u64) {
        let made = self.made.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.line.set_message(format!("{} made", HumanBytes(made)));
        self.line.inc(1);
    }

    /// The current stage has ended: `what` it did is left above the live lines.
    pub fn done(&self, stage: &str, what: &str) {
        let took = self.started.elapsed().as_secs_f64();
        self.line.println(format!(
            "{}{stage:<9} {what} ({took:.1} s)",
            self.line.prefix()
        ));
    }

    /// The build has ended: its line goes.
    pub fn finish(&self) {
        self.line.finish_and_clear();
    }
}
