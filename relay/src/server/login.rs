//! What a login waits for before it is accepted: the key binding of TR-15 and, on a cluster
//! node, the identity's presence and queue (spec/09-relay-cluster.md, CLU-14, CLU-15).

use std::sync::Arc;

use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::identity::Identity;

use super::Shared;
use super::directory::Binding;

impl Shared {
    /// Binds the proven key (TR-15); on a cluster node the answer is `New` until the
    /// identity's presence is claimed and its queue read (CLU-14, CLU-15), so that the
    /// login-ack counts the queue and queue-send-complete follows it.
    pub(crate) fn bind_login(self: &Arc<Self>, identity: Identity, key: PublicKey) -> Binding {
        let binding = self.directory.bind(identity, key);
        #[cfg(feature = "postgres")]
        if let Some(cluster) = &self.cluster {
            if matches!(binding, Binding::Taken) {
                return binding;
            }
            let (done, receiver) = tokio::sync::oneshot::channel();
            let shared = Arc::clone(self);
            let cluster = Arc::clone(cluster);
            tokio::spawn(async move {
                if let Binding::New(bound) = binding {
                    let bound = bound.await.unwrap_or(Err(super::ServerError::Store(
                        crate::store::StoreError::Closed,
                    )));
                    if let Err(error) = bound {
                        let _ = done.send(Err(error));
                        return;
                    }
                }
                let prepared = crate::pg::cluster::prepare_login(shared, cluster, identity).await;
                let _ = done.send(prepared);
            });
            return Binding::New(receiver);
        }
        binding
    }
}
