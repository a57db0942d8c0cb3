#!/bin/sh
# Our own client, `saltrelay send` and `saltrelay receive`, behind the client-check contract
# (spec/08-interop.md, IOP-17 and IOP-18): the scenario comes in environment variables.
# Usage: saltrelay interop client-check -- sh interop/clients/saltrelay-cli.sh PATH/TO/saltrelay
set -eu
bin=${1:?give the path of the saltrelay binary}
set -- --relay "$SALTRELAY_RELAY" --relay-key "$SALTRELAY_RELAY_KEY" --id "$SALTRELAY_ID_FILE"
# The check's peer is not a saltrelay client and answers no forward-secrecy Init: the text goes
# plain (--no-fs, spec/06-forward-secrecy.md FS-43), as IOP-18 expects.
case "$SALTRELAY_CHECK_ACTION" in
  send) exec "$bin" send "$@" --to "$SALTRELAY_PEER" --text "$SALTRELAY_TEXT" --no-fs \
    --timeout-secs "$SALTRELAY_TIMEOUT_SECS" ;;
  receive) exec "$bin" receive "$@" ;;
  *) echo "unknown action $SALTRELAY_CHECK_ACTION" >&2; exit 2 ;;
esac
