//! Group control traffic (MODEL.md, "Group control traffic"): the messages the group rules of
//! spec/07-groups.md make clients send beside conversation messages. A documented model of
//! those rules, not the rules code itself: the simulator keeps no group state per member, so
//! it counts what the rules send, with the rules' own constants
//! ([`SYNC_MARK_MILLIS`], [`PERIODIC_SYNC_MILLIS`]).
//!
//! - a membership change (GRP-7) sends the update bundle (GRP-4): a setup, a name and a
//!   profile picture message to every other member;
//! - the creator's periodic resync (GRP-17) sends the resync bundle (GRP-5), the same three
//!   messages, to every member seven days after the group's last sync;
//! - a member without the group's state (its setup was lost) answers a group message with a
//!   sync request to the sender (GRP-12, GRP-16), at most once per hour, and the sender
//!   answers with the resync bundle to that member (GRP-16 step 4).

use saltrelay_protocol::group::{PERIODIC_SYNC_MILLIS, SYNC_MARK_MILLIS};
use saltrelay_relay::core::Flags;

use super::clients::{ONLINE, to_micros};
use super::item::{NO_NEXT, msg};
use super::{Sim, kind};

/// Wire size of a group control message without its variable part: the same end-to-end and
/// frame overhead as a delivery receipt (`traffic.receipt_size` by default, 180 bytes).
const CONTROL_BASE: u32 = 180;
/// A setup adds the group ID (8) and 8 bytes per member (GRP-4).
const SETUP_PER_MEMBER: u32 = 8;
/// A name message adds the group ID and a name (about 24 bytes).
const NAME_EXTRA: u32 = 32;
/// A set-profile-picture message adds the group ID and a blob reference (ID 16, key 32,
/// size 4).
const PICTURE_EXTRA: u32 = 60;
/// A sync request adds the group ID.
const SYNC_REQUEST_SIZE: u32 = CONTROL_BASE + 8;
/// When a resync is due but the creator is offline, the model looks again this much later
/// (GRP-17 runs when the creator next sends or receives a group message, which needs it
/// online).
const RESYNC_RETRY_US: u64 = 3_600_000_000;

/// The persistent groups: creator, size and last sync of each.
#[derive(Default)]
pub(crate) struct Groups {
    creator: Vec<u32>,
    members: Vec<u32>,
    last_sync: Vec<u64>,
    /// Per client: when it last sent a sync request (GRP-16's mark, kept per client rather
    /// than per group and creator, as copies carry no group identity here).
    sync_mark: Vec<Option<u64>>,
}

impl Sim<'_> {
    /// Draws the groups (`traffic.groups_per_client` × clients of them) and schedules their
    /// first changes and resyncs.
    pub(super) fn start_groups(&mut self) {
        let t = &self.scenario.traffic;
        if t.group_state_lost_fraction > 0.0 {
            self.groups.sync_mark = vec![None; self.scenario.clients as usize];
        }
        if t.groups_per_client <= 0.0 {
            return;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "validated: at most 1,000 groups per client"
        )]
        let count = (t.groups_per_client * f64::from(self.scenario.clients)).round() as u32;
        let period = PERIODIC_SYNC_MILLIS * 1000;
        for g in 0..count {
            // Group g's draws come from the stream of client g mod N, which also creates it.
            let creator = g % self.scenario.clients;
            let (mean, max, fixed) = (
                t.group_size_mean,
                t.group_size_max,
                t.group_size_dist == "fixed",
            );
            let mut rng = self.client_rng(creator);
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "validated to lie in 3..=group_size_max"
            )]
            let members = if fixed {
                mean.round() as u32
            } else {
                super::traffic::group_size(&mut rng, mean, max)
            };
            // Groups exist before the run: the last sync is uniform over the past period.
            let since = to_micros(rng.uniform() * period as f64);
            self.groups.creator.push(creator);
            self.groups.members.push(members);
            self.groups.last_sync.push(0);
            self.at(period - since, kind::GROUP_RESYNC, g, 0);
            self.schedule_change(g);
        }
    }

    /// The next membership change of group `g`: exponential, at `group_changes_per_day`
    /// while the creator is online (changes are user actions in the app).
    fn schedule_change(&mut self, g: u32) {
        let per_day = self.scenario.traffic.group_changes_per_day;
        if per_day <= 0.0 {
            return;
        }
        let rate = per_day / 86_400e6 / self.online_fraction;
        let creator = self.groups.creator[g as usize];
        let gap = to_micros(self.client_rng(creator).exponential(1.0 / rate));
        self.at(self.now + gap, kind::GROUP_CHANGE, g, 0);
    }

    /// `GROUP_CHANGE`: the creator changes the group (GRP-7) and sends the update bundle
    /// (GRP-4); skipped while it is offline.
    pub(super) fn on_group_change(&mut self, g: u32) {
        self.schedule_change(g);
        let creator = self.groups.creator[g as usize];
        if self.clients.conn(creator) != ONLINE {
            return;
        }
        self.groups.last_sync[g as usize] = self.now;
        let members = self.groups.members[g as usize];
        self.bundle(creator, None, members);
    }

    /// `GROUP_RESYNC`: seven days after the last sync the creator resyncs every member
    /// (GRP-17); offline, it looks again an hour later.
    pub(super) fn on_group_resync(&mut self, g: u32) {
        let period = PERIODIC_SYNC_MILLIS * 1000;
        let due = self.groups.last_sync[g as usize] + period;
        // The first resync of a group that existed before the run comes from its start.
        if self.now < due && self.groups.last_sync[g as usize] > 0 {
            self.at(due, kind::GROUP_RESYNC, g, 0);
            return;
        }
        let creator = self.groups.creator[g as usize];
        if self.clients.conn(creator) != ONLINE {
            self.at(self.now + RESYNC_RETRY_US, kind::GROUP_RESYNC, g, 0);
            return;
        }
        self.groups.last_sync[g as usize] = self.now.max(1);
        let members = self.groups.members[g as usize];
        self.bundle(creator, None, members);
        self.at(self.now + period, kind::GROUP_RESYNC, g, 0);
    }

    /// A member `c` received a group message from `sender`: with the scenario's share it had
    /// lost the group's state and sends a sync request (GRP-12 step 1, GRP-16), unless it sent
    /// one within the hour.
    pub(super) fn maybe_sync_request(&mut self, c: u32, sender: u32, owd: u64) {
        let share = self.scenario.traffic.group_state_lost_fraction;
        if share <= 0.0 || !self.client_rng(c).chance(share) {
            return;
        }
        let mark = &mut self.groups.sync_mark[c as usize];
        if mark.is_some_and(|m| self.now < m + SYNC_MARK_MILLIS * 1000) {
            return;
        }
        *mark = Some(self.now);
        let head = self.enqueue(
            c,
            sender,
            SYNC_REQUEST_SIZE,
            msg::SYNC_REQUEST,
            Flags::NONE,
            NO_NEXT,
        );
        self.at(self.now + owd, kind::INGRESS, head, 0);
    }

    /// The creator `c` received a sync request from `from`: it answers with the resync bundle
    /// (GRP-16 step 4; its own mark is the requester's, set when the request left).
    pub(super) fn answer_sync_request(&mut self, c: u32, from: u32) {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "validated to lie in 3..=group_size_max"
        )]
        let members = self.scenario.traffic.group_size_mean.round() as u32;
        self.bundle(c, Some(from), members);
    }

    /// Sends the three-message bundle of a group with `members` members (creator included;
    /// the mean group size for an answer to a sync request, whose group is not tracked): to
    /// `to` only, or to `members − 1` members drawn uniformly (no persistent membership,
    /// as for conversation messages).
    fn bundle(&mut self, from: u32, to: Option<u32>, members: u32) {
        let clients = self.scenario.clients;
        let recipients: Vec<u32> = match to {
            Some(r) => vec![r],
            None => (1..members)
                .map(|_| {
                    let r = self.client_rng(from).below(clients - 1);
                    if r >= from { r + 1 } else { r }
                })
                .collect(),
        };
        let sizes = [
            CONTROL_BASE + 8 + SETUP_PER_MEMBER * members,
            CONTROL_BASE + NAME_EXTRA,
            CONTROL_BASE + PICTURE_EXTRA,
        ];
        let mut head = NO_NEXT;
        for size in sizes {
            for &r in &recipients {
                head = self.enqueue(from, r, size, msg::GROUP_CONTROL, Flags::NONE, head);
            }
        }
        let owd = u64::from(self.clients.all[from as usize].owd);
        self.at(self.now + owd, kind::INGRESS, head, 0);
    }
}
