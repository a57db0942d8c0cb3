//! A client's login as the relay decides it: bind the proven key in the directory, first
//! come, first served, then accept or refuse (TR-15, RELAY-15).

use saltrelay_protocol::transport::{CloseCause, LoginRequest, RelayOutput};
use tokio::sync::oneshot;

use super::Conn;
use crate::runtime::trace::Splitter;
use crate::server::conn_ref::ConnEvent;
use crate::server::directory::Binding;
use crate::server::{ConnectionError, ServerError};

/// A login waiting for its key binding to become durable (TR-15, RELAY-15).
pub(super) type PendingBind = (LoginRequest, oneshot::Receiver<Result<(), ServerError>>);

impl Conn {
    /// TR-15: bind the proven key first come, first served, then accept or refuse.
    pub(super) fn on_login(&mut self, request: LoginRequest) {
        self.tracer.note(&format!(
            "login of {} proved key {}",
            request.identity(),
            request.public_key().short_hex()
        ));
        match self
            .shared
            .directory
            .bind(request.identity(), request.public_key())
        {
            Binding::Bound => self.decide(request, true),
            Binding::Taken => {
                let _ = self
                    .machine
                    .refuse(request, CloseCause::IdentityTaken, self.clock.now());
                self.drain_outputs();
            }
            Binding::New(done) => self.pending_bind = Some((request, done)),
        }
    }

    pub(super) fn decide(&mut self, request: LoginRequest, bound: bool) {
        let now = self.clock.now();
        let identity = request.identity();
        let accepted = bound && !self.draining;
        let login = accepted
            .then(|| self.shared.hub.login(identity, self.me.clone()).ok())
            .flatten();
        let Some((queued, replaced)) = login else {
            let _ = self.machine.refuse(request, CloseCause::Unavailable, now);
            self.drain_outputs();
            return;
        };
        if let Some(old) = replaced {
            old.send(ConnEvent::Close(ConnectionError::Replaced));
        }
        self.identity = Some(identity);
        let _ = self.machine.accept(request, now, queued);
        while let Some(output) = self.machine.poll_output() {
            if let RelayOutput::Send(bytes) = output {
                self.tracer.note(&format!("-> login-ack {} B", bytes.len()));
                self.wbuf.extend_from_slice(&bytes);
            }
        }
        self.mailbox = self.shared.hub.mailbox_of(identity);
        self.tracer
            .note(&format!("accepted {identity}, {queued} queued"));
        if self.tracer.enabled() {
            self.splitter = Some(Splitter::new(&[]));
        }
    }
}

pub(super) async fn wait_bind(pending: &mut Option<PendingBind>) -> Result<(), ServerError> {
    match pending {
        Some((_, done)) => done.await.unwrap_or_else(|_| {
            Err(ServerError::Directory {
                path: crate::server::directory::DIRECTORY_FILE_NAME.into(),
                reason: "the directory writer has stopped".into(),
            })
        }),
        None => std::future::pending().await,
    }
}
