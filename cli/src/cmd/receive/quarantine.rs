//! The quarantine file of `saltrelay receive` (CLIENT-3 case 2): one JSON line per message
//! that could not be opened, flushed to stable storage before the message is acked.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use saltrelay_relay::client::IncomingMessage;
use serde_json::json;

/// Appends quarantine records to one file.
pub(super) struct Quarantine {
    path: PathBuf,
}

impl Quarantine {
    pub(super) fn new(path: PathBuf) -> Self {
        Self { path }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the message with its reason and flushes file and folder (CLIENT-3).
    ///
    /// # Errors
    /// Any I/O failure: the caller then leaves the message unacked.
    pub(super) fn keep(
        &self,
        message: &IncomingMessage,
        code: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        let record = json!({
            "from": message.sender.as_str(),
            "message_id": hex::encode(message.message_id.0),
            "flags": message.flags,
            "code": code,
            "reason": reason,
            "message": hex::encode(&message.payload),
        });
        let folder = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let created = !self.path.exists();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        writeln!(file, "{record}")
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        if created {
            // A new file's name is durable only once its folder is flushed.
            std::fs::File::open(folder)
                .and_then(|dir| dir.sync_all())
                .with_context(|| format!("cannot flush {}", folder.display()))?;
        }
        Ok(())
    }
}
