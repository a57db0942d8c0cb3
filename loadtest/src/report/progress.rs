//! The progress bar on stderr while a run goes: seconds of load, and sent, acked and
//! delivered so far. Hidden when stderr is not a terminal or progress is off.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::LoadConfig;
use crate::latency::Series;
use crate::state::State;

pub(crate) fn bar(config: &LoadConfig) -> ProgressBar {
    if !config.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>11} [{bar:30}] {pos}/{len} {msg}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar
}

/// Updates the bar twice a second until aborted.
pub(crate) fn follow(
    bar: ProgressBar,
    state: Arc<State>,
    config: &LoadConfig,
) -> tokio::task::JoinHandle<()> {
    let total = config.warmup + config.duration;
    bar.set_prefix("load (s)");
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a validated positive number of seconds"
    )]
    bar.set_length(total.ceil() as u64);
    bar.set_position(0);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let now = state.now_us();
            let seconds = usize::try_from(now / 1_000_000 + 1).unwrap_or(usize::MAX);
            let sum = |s| state.recorder.per_second(s, seconds).iter().sum::<u64>();
            bar.set_position(now / 1_000_000);
            bar.set_message(format!(
                "sent {} acked {} delivered {}",
                sum(Series::Sent),
                sum(Series::Acked),
                sum(Series::Delivered)
            ));
        }
    })
}
