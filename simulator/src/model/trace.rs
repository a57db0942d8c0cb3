//! Churn traces: a CSV of sessions `client,start_seconds,end_seconds` (MODEL.md, "Churn").

use crate::SimError;
use crate::scenario::Scenario;

/// Reads the scenario's trace into `(client, start_us, end_us)` sessions. Lines starting with
/// `#` and a header line starting with `client` are skipped.
///
/// # Errors
/// [`SimError::Io`] if unreadable, [`SimError::Scenario`] (key `churn.trace`) for a bad line,
/// a client index out of range or a session that ends before it starts.
pub(crate) fn load(scenario: &Scenario) -> Result<Vec<(u32, u64, u64)>, SimError> {
    let path = std::path::Path::new(&scenario.churn.trace);
    let text = std::fs::read_to_string(path).map_err(|e| SimError::io(path, e))?;
    let mut sessions = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("client") {
            continue;
        }
        let bad = |what: &str| {
            SimError::range(
                "churn.trace",
                format!("{}:{}: {what}", path.display(), number + 1),
            )
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [client, start, end] = fields[..] else {
            return Err(bad("expected client,start_seconds,end_seconds"));
        };
        let client: u32 = client
            .parse()
            .map_err(|_| bad("client is not an integer"))?;
        let start: f64 = start.parse().map_err(|_| bad("start is not a number"))?;
        let end: f64 = end.parse().map_err(|_| bad("end is not a number"))?;
        if client >= scenario.clients {
            return Err(bad("client index is not below `clients`"));
        }
        if !(0.0..1e12).contains(&start) || end <= start {
            return Err(bad("a session needs 0 <= start < end"));
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "range checked"
        )]
        sessions.push((client, (start * 1e6) as u64, (end.min(1e12) * 1e6) as u64));
    }
    Ok(sessions)
}
