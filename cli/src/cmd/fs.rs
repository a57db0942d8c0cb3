//! `saltrelay fs`: Ibex key derivation and envelope codec as JSON on stdin and stdout
//! (spec/06-forward-secrecy.md, FS-40). Errors are `{"error", "message"}` on stdout.

use std::io::Read as _;
use std::process::ExitCode;

use saltrelay_protocol::crypto::{BoxKey, SecretKey};
use saltrelay_protocol::identity::Identity;
use saltrelay_protocol::session::keys::{Chain, FourDh, root_2dh, roots_4dh};
use saltrelay_protocol::session::{Envelope, SessionError, envelope_from_json, envelope_to_json};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

/// Arguments of `saltrelay fs`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: FsCommand,
}

#[derive(Debug, Clone, Copy, clap::Subcommand)]
enum FsCommand {
    /// 2DH and 4DH roots and the chain and message keys at a counter, from both key pairs.
    Derive,
    /// Encode an envelope from its JSON form: prints {"envelope": hex}.
    Encode,
    /// Decode and check an envelope {"envelope": hex}: prints its JSON form.
    Decode,
}

fn bad(field: &'static str) -> SessionError {
    SessionError::InvalidJson { field }
}

pub(crate) fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let result = serde_json::from_str::<Value>(&text)
        .map_err(|_| bad("(stdin)"))
        .and_then(|input| match args.command {
            FsCommand::Derive => derive(&input),
            FsCommand::Encode => {
                envelope_from_json(&input).map(|e| json!({ "envelope": hex::encode(e.encode()) }))
            }
            FsCommand::Decode => input
                .get("envelope")
                .and_then(Value::as_str)
                .and_then(|s| hex::decode(s).ok())
                .ok_or(bad("envelope"))
                .and_then(|bytes| Envelope::decode(&bytes))
                .map(|e| envelope_to_json(&e)),
        });
    match result {
        Ok(value) => {
            println!("{value}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            println!(
                "{}",
                json!({ "error": error.code(), "message": error.to_string() })
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

struct Party {
    identity: Identity,
    secret: SecretKey,
    fssk: SecretKey,
}

fn party(input: &Value, name: &'static str) -> Result<Party, SessionError> {
    let map: &Map<String, Value> = input
        .get(name)
        .and_then(Value::as_object)
        .ok_or(bad(name))?;
    let key = |field: &'static str| -> Result<SecretKey, SessionError> {
        let bytes = Zeroizing::new(
            map.get(field)
                .and_then(Value::as_str)
                .and_then(|s| hex::decode(s).ok())
                .ok_or(bad(field))?,
        );
        SecretKey::from_slice(&bytes).map_err(|_| bad(field))
    };
    Ok(Party {
        identity: map
            .get("identity")
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or(bad("identity"))?,
        secret: key("secretKey")?,
        fssk: key("fsskSecret")?,
    })
}

/// FS-6, FS-7, FS-9 from the initiator's side; the responder's side gives the same values.
fn derive(input: &Value) -> Result<Value, SessionError> {
    let (i, r) = (party(input, "initiator")?, party(input, "responder")?);
    let counter = match input.get("counter") {
        None => 1,
        Some(v) => v.as_u64().ok_or(bad("counter"))?,
    };
    let dh = |secret: &SecretKey, public: &SecretKey| {
        BoxKey::derive(secret, &public.public_key()).map_err(|_| SessionError::InvalidFssk)
    };
    let ss = dh(&i.secret, &r.secret)?;
    let es = dh(&i.fssk, &r.secret)?;
    let se = dh(&i.secret, &r.fssk)?;
    let ee = dh(&i.fssk, &r.fssk)?;
    let two = root_2dh(i.identity, &ss, &es);
    let (initiator, responder) = roots_4dh(
        &FourDh {
            static_static: &ss,
            initiator_ephemeral_static: &es,
            initiator_static_ephemeral: &se,
            ephemeral_ephemeral: &ee,
        },
        i.identity,
        r.identity,
    );
    let at = |root| -> Result<Value, SessionError> {
        let chain = Chain::from_root(root).ratcheted_to(counter)?;
        Ok(json!({
            "chainKey": hex::encode(chain.key().expose_secret()),
            "messageKey": hex::encode(chain.message_key().expose_secret()),
        }))
    };
    Ok(json!({
        "dhStaticStatic": hex::encode(ss.expose_secret()),
        "dhInitiatorEphemeralStatic": hex::encode(es.expose_secret()),
        "dhInitiatorStaticEphemeral": hex::encode(se.expose_secret()),
        "dhEphemeralEphemeral": hex::encode(ee.expose_secret()),
        "root2dh": hex::encode(two.expose_secret()),
        "root4dhInitiator": hex::encode(initiator.expose_secret()),
        "root4dhResponder": hex::encode(responder.expose_secret()),
        "counter": counter,
        "2dh": at(two)?,
        "4dhInitiator": at(initiator)?,
        "4dhResponder": at(responder)?,
    }))
}
