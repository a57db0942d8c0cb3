//! `saltrelay group ...` and `saltrelay poll ...`: the group rules of spec/07-groups.md over a
//! live relay, with the group state kept in a file beside the identity (GRP-31). Each command
//! loads the state, runs one action or applies incoming messages, saves the state, then sends
//! every entry it produced (one 1:1 message per recipient, GRP-3) and prints the events.

use std::collections::{BTreeSet, HashMap};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use saltrelay_protocol::crypto::PublicKey;
use saltrelay_protocol::e2e::{self, GroupContent, GroupId, GroupIdentity, MessageId};
use saltrelay_protocol::group::{
    GroupClient, GroupEvent, GroupUpdate, Outcome, PictureChange, Poll, PollKey,
};
use saltrelay_protocol::identity::{Identity, IdentityKeys};
use saltrelay_relay::client::Client;
use saltrelay_relay::private_file;
use saltrelay_relay::runtime::clock::Clock;
use serde_json::{Value, json};

use super::send::{RelayArgs, encode_at, runtime};
use crate::cmd::id::load_key_file;
use crate::cmd::sessions::Sessions;
use crate::os_rng::os_rng;

/// Arguments of `saltrelay group`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: GroupCommand,
}

/// Arguments of `saltrelay poll`.
#[derive(Debug, clap::Args)]
pub(crate) struct PollArgs {
    #[command(subcommand)]
    command: PollCommand,
}

/// A group as `CREATOR:GROUPID` (GRP-1: never the group ID alone).
fn parse_group(text: &str) -> anyhow::Result<GroupIdentity> {
    let (creator, id) = text
        .split_once(':')
        .context("a group is CREATOR:GROUPID, such as ALICE000:0011223344556677")?;
    let id: [u8; 8] = hex::decode(id)
        .ok()
        .and_then(|b| b.try_into().ok())
        .context("the group ID is 16 hex digits")?;
    Ok(GroupIdentity {
        creator: creator.parse().context("the creator is not an identity")?,
        group_id: GroupId(id),
    })
}

fn show_group(group: GroupIdentity) -> String {
    format!("{}:{}", group.creator, hex::encode(group.group_id.0))
}

fn parse_poll(text: &str) -> anyhow::Result<PollKey> {
    let (creator, id) = text.split_once(':').context("a poll is CREATOR:POLLID")?;
    Ok(PollKey {
        creator: creator
            .parse()
            .context("the poll creator is not an identity")?,
        poll_id: hex::decode(id)
            .ok()
            .and_then(|b| b.try_into().ok())
            .context("the poll ID is 16 hex digits")?,
    })
}

fn identities(list: &[String]) -> anyhow::Result<BTreeSet<Identity>> {
    list.iter()
        .map(|m| m.parse().with_context(|| format!("{m} is not an identity")))
        .collect()
}

#[derive(Debug, clap::Subcommand)]
enum GroupCommand {
    /// Create a group with these members and send them the setup bundle.
    Create {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group's name.
        #[arg(long, default_value = "")]
        name: String,
        /// A member's identity (repeat).
        #[arg(long = "member")]
        members: Vec<String>,
    },
    /// Add members (creator only).
    Add {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// A member to add (repeat).
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
    /// Remove members (creator only); they get an empty setup.
    Remove {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// A member to remove (repeat).
        #[arg(long = "member", required = true)]
        members: Vec<String>,
    },
    /// Rename the group (creator only).
    Rename {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// The new name.
        #[arg(long)]
        name: String,
    },
    /// Leave a group (members only).
    Leave {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
    },
    /// Disband a group (creator only).
    Disband {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
    },
    /// Send the group state to every member again (creator only).
    Resync {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
    },
    /// Send a text to the group.
    Send {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// The text.
        #[arg(long)]
        text: String,
    },
    /// Apply the group messages among `saltrelay receive --json` lines read on stdin, send
    /// what the rules answer (sync requests, setups, leaves) and print the events.
    Apply {
        #[command(flatten)]
        relay: RelayArgs,
    },
    /// Print the groups this identity knows.
    Show {
        /// This client's identity key file.
        #[arg(long)]
        id: PathBuf,
        /// Print the state file's JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
enum PollCommand {
    /// Open a poll in a group.
    Create {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// The question.
        #[arg(long)]
        question: String,
        /// A choice (repeat); choice IDs are 0, 1, 2, ... in this order.
        #[arg(long = "choice", required = true)]
        choices: Vec<String>,
        /// Allow several choices.
        #[arg(long)]
        multiple: bool,
        /// Send votes to everyone (announce type 1) instead of the poll's creator only.
        #[arg(long)]
        public: bool,
    },
    /// Vote: the choice IDs chosen (none withdraws the vote).
    Vote {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// The poll, CREATOR:POLLID.
        #[arg(long)]
        poll: String,
        /// A chosen choice ID (repeat).
        #[arg(long = "choose")]
        chosen: Vec<u64>,
    },
    /// Close a poll the user created and send the result.
    Close {
        #[command(flatten)]
        relay: RelayArgs,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
        /// The poll, CREATOR:POLLID.
        #[arg(long)]
        poll: String,
    },
    /// Print a group's polls with their votes.
    Show {
        /// This client's identity key file.
        #[arg(long)]
        id: PathBuf,
        /// The group, CREATOR:GROUPID.
        #[arg(long)]
        group: String,
    },
}

/// GRP-31: the state file beside the key file.
fn state_path(id: &Path) -> PathBuf {
    let mut name = id.as_os_str().to_owned();
    name.push(".groups.json");
    PathBuf::from(name)
}

pub(crate) fn load_state(id: &Path, me: Identity) -> anyhow::Result<GroupClient> {
    let path = state_path(id);
    match private_file::read(&path) {
        Ok(bytes) => {
            let value: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            let client = GroupClient::from_json(&value)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if client.me() != me {
                bail!("{} belongs to {}, not {me}", path.display(), client.me());
            }
            Ok(client)
        }
        Err(error) if error.is_not_found() => Ok(GroupClient::new(me)),
        Err(error) => Err(error.into()),
    }
}

/// Writes the state atomically and durably, readable by its owner only: who is in which
/// group is exactly the metadata the relay never sees. `receive` acks a group message only
/// after this returned (GRP-32).
pub(crate) fn save_state(id: &Path, client: &GroupClient) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&client.to_json())?;
    private_file::replace(&state_path(id), text.as_bytes())?;
    Ok(())
}

pub(crate) fn event_json(event: &GroupEvent) -> Value {
    let mut out = json!({"event": event.name(), "group": show_group(event.group())});
    match event {
        GroupEvent::Ignored { reason, .. } => out["reason"] = reason.code().into(),
        GroupEvent::MemberLeft { member, .. } => out["member"] = member.as_str().into(),
        _ => {}
    }
    out
}

/// Sends every entry: one 1:1 message per recipient with the entry's ID and time (GRP-3), in
/// a forward-secret session under V1.2 with its `group_identity` (FS-16) unless `sessions` is
/// `None` (`--no-fs`).
async fn transmit(
    keys: &IdentityKeys,
    client: &Client,
    mut sessions: Option<&mut Sessions>,
    outcome: &Outcome,
) -> anyhow::Result<usize> {
    let mut known: HashMap<Identity, PublicKey> = HashMap::new();
    let mut sent = 0;
    for entry in &outcome.sent {
        for to in &entry.recipients {
            let key = if let Some(key) = known.get(to) {
                *key
            } else {
                let key = client
                    .lookup_key(*to)
                    .await?
                    .with_context(|| format!("{to} is not known at the relay"))?;
                known.insert(*to, key);
                key
            };
            let outer = match sessions.as_deref_mut() {
                Some(sessions) => {
                    let outer = sessions.seal(
                        keys,
                        *to,
                        &key,
                        entry.message_id,
                        &entry.message,
                        entry.flags(),
                        entry.created_at,
                    )?;
                    // FS-42: durable before the message leaves.
                    sessions.save()?;
                    outer
                }
                None => vec![encode_at(
                    keys,
                    *to,
                    &key,
                    entry.message_id,
                    entry.message.clone(),
                    entry.flags(),
                    entry.created_at,
                )?],
            };
            for bytes in outer {
                client.send_message(bytes).await?;
            }
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs one action on the saved state: load, act, save, send, then print what it made and one
/// JSON object per event.
fn act(
    relay: &RelayArgs,
    action: impl FnOnce(&mut GroupClient) -> anyhow::Result<(Option<String>, Outcome)>,
) -> anyhow::Result<ExitCode> {
    runtime()?.block_on(async {
        let mut sessions = if relay.no_fs {
            None
        } else {
            Some(Sessions::load(relay.id_path())?)
        };
        let (keys, client) = relay.connect().await?;
        let mut state = load_state(relay.id_path(), keys.identity())?;
        let (made, outcome) = action(&mut state)?;
        save_state(relay.id_path(), &state)?;
        let sent = transmit(&keys, &client, sessions.as_mut(), &outcome).await?;
        if let Some(made) = made {
            println!("{made}");
        }
        for event in &outcome.events {
            println!("{}", event_json(event));
        }
        eprintln!("{sent} message(s) sent and acked");
        client.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

fn now() -> saltrelay_protocol::time::Timestamp {
    Clock::new().now()
}

fn update(relay: &RelayArgs, group: &str, change: &GroupUpdate) -> anyhow::Result<ExitCode> {
    let group = parse_group(group)?;
    act(relay, |state| {
        Ok((None, state.update(now(), &mut os_rng()?, group, change)?))
    })
}

fn no_change() -> GroupUpdate {
    GroupUpdate {
        name: None,
        picture: PictureChange::Keep,
        add: BTreeSet::new(),
        remove: BTreeSet::new(),
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        GroupCommand::Create {
            relay,
            name,
            members,
        } => {
            let members = identities(&members)?;
            act(&relay, |state| {
                let (group, outcome) = state.create(now(), &mut os_rng()?, &name, None, members)?;
                Ok((Some(show_group(group)), outcome))
            })
        }
        GroupCommand::Add {
            relay,
            group,
            members,
        } => update(
            &relay,
            &group,
            &GroupUpdate {
                add: identities(&members)?,
                ..no_change()
            },
        ),
        GroupCommand::Remove {
            relay,
            group,
            members,
        } => update(
            &relay,
            &group,
            &GroupUpdate {
                remove: identities(&members)?,
                ..no_change()
            },
        ),
        GroupCommand::Rename { relay, group, name } => update(
            &relay,
            &group,
            &GroupUpdate {
                name: Some(name),
                ..no_change()
            },
        ),
        GroupCommand::Leave { relay, group } => {
            let group = parse_group(&group)?;
            act(&relay, |s| {
                Ok((None, s.leave(now(), &mut os_rng()?, group)?))
            })
        }
        GroupCommand::Disband { relay, group } => {
            let group = parse_group(&group)?;
            act(&relay, |s| {
                Ok((None, s.disband(now(), &mut os_rng()?, group)?))
            })
        }
        GroupCommand::Resync { relay, group } => {
            let group = parse_group(&group)?;
            act(&relay, |s| {
                Ok((None, s.resync(now(), &mut os_rng()?, group)?))
            })
        }
        GroupCommand::Send { relay, group, text } => {
            let group = parse_group(&group)?;
            act(&relay, |s| {
                let out = s.send(now(), &mut os_rng()?, group, GroupContent::Text(text))?;
                Ok((None, out))
            })
        }
        GroupCommand::Apply { relay } => apply(&relay),
        GroupCommand::Show { id, json } => show(&id, json),
    }
}

pub(crate) fn run_poll(args: PollArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        PollCommand::Create {
            relay,
            group,
            question,
            choices,
            multiple,
            public,
        } => {
            let group = parse_group(&group)?;
            let choices = (0u64..).zip(choices).collect();
            let poll = Poll::new(question, multiple, u64::from(public), choices);
            act(&relay, |s| {
                let (key, out) = s.poll_create(now(), &mut os_rng()?, group, poll)?;
                Ok((
                    Some(format!("{}:{}", key.creator, hex::encode(key.poll_id))),
                    out,
                ))
            })
        }
        PollCommand::Vote {
            relay,
            group,
            poll,
            chosen,
        } => {
            let group = parse_group(&group)?;
            let key = parse_poll(&poll)?;
            act(&relay, |s| {
                let choices = s
                    .group(&group)
                    .and_then(|g| g.polls.get(&key))
                    .context("no such poll in this group")?
                    .choices
                    .iter()
                    .map(|(id, _)| (*id, chosen.contains(id)))
                    .collect();
                Ok((
                    None,
                    s.poll_vote(now(), &mut os_rng()?, group, key, choices)?,
                ))
            })
        }
        PollCommand::Close { relay, group, poll } => {
            let group = parse_group(&group)?;
            let key = parse_poll(&poll)?;
            act(&relay, |s| {
                Ok((None, s.poll_close(now(), &mut os_rng()?, group, key)?))
            })
        }
        PollCommand::Show { id, group } => {
            let keys = load_key_file(&id)?;
            let state = load_state(&id, keys.identity())?;
            let group = parse_group(&group)?;
            let polls = state.group(&group).context("unknown group")?;
            for (key, poll) in &polls.polls {
                let result: Vec<Value> = poll
                    .result()
                    .iter()
                    .zip(&poll.choices)
                    .map(|((id, count), (_, text))| json!({"id": id, "choice": text, "votes": count}))
                    .collect();
                println!(
                    "{}",
                    json!({"poll": format!("{}:{}", key.creator, hex::encode(key.poll_id)),
                           "question": poll.description, "closed": poll.status == saltrelay_protocol::group::PollStatus::Closed,
                           "result": result})
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn show(id: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let keys = load_key_file(id)?;
    let state = load_state(id, keys.identity())?;
    if json {
        println!("{}", serde_json::to_string_pretty(&state.to_json())?);
        return Ok(ExitCode::SUCCESS);
    }
    for (group, s) in state.groups() {
        let members: Vec<&str> = s.members.iter().map(Identity::as_str).collect();
        println!(
            "{} {} {:?} members {}",
            show_group(*group),
            s.status.name(),
            s.name,
            members.join(",")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One `receive --json` line as a group message: sender, message ID and message, or `None`
/// for a line that is not a group message (E2E-43 form plus `from` and `message_id`).
fn group_line(line: &str) -> anyhow::Result<Option<(Identity, MessageId, e2e::Message)>> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(line).context("a line is not JSON")?;
    let is_group = value["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("group_"));
    if !is_group {
        return Ok(None);
    }
    let from: Identity = value["from"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .context("a line has no `from` identity")?;
    let id: [u8; 8] = value["message_id"]
        .as_str()
        .and_then(|s| hex::decode(s).ok())
        .and_then(|b| b.try_into().ok())
        .context("a line has no 16-digit `message_id`")?;
    let message = e2e::message_from_json(&value).context("a group message did not decode")?;
    Ok(Some((from, MessageId(id), message)))
}

/// Applies the group messages among `receive --json` lines read on stdin, in order, then sends
/// what the rules answer. The relay holds one connection per identity (a second login replaces
/// the first), so this logs in only once stdin has ended: pipe a finished `receive`, not
/// `receive --follow`.
fn apply(relay: &RelayArgs) -> anyhow::Result<ExitCode> {
    let mut inputs = Vec::new();
    for line in std::io::stdin().lock().lines() {
        if let Some(input) = group_line(&line.context("cannot read stdin")?)? {
            inputs.push(input);
        }
    }
    act(relay, |state| {
        let mut all = Outcome::default();
        let mut rng = os_rng()?;
        for (from, id, message) in &inputs {
            let out = state.handle_message(now(), &mut rng, *from, *id, message)?;
            all.sent.extend(out.sent);
            all.events.extend(out.events);
        }
        Ok((None, all))
    })
}
