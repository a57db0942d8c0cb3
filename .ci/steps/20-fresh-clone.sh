#!/usr/bin/env bash
# A new user's first steps: the committed repository cloned into an empty folder with nothing
# beside it (no shared/, no .venv), then the two commands of the README's "Set up" section run
# exactly as written there -- the main job (the default simulation) and the test suite. This is
# the only place CI runs `cargo test --workspace`. The main job must leave the clone clean: its
# report is committed, and a rerun with the same results rewrites nothing tracked.
# The clone shares this checkout's target folder so dependencies are compiled once.
set -euo pipefail
repo="$(pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks "$repo" "$work/saltrelay"
cd "$work/saltrelay"
test "$(ls -A "$work")" = saltrelay || { echo "the clone's folder is not empty beside it" >&2; exit 1; }

# The fenced `sh` blocks of "## Set up", one command per line.
mapfile -t commands < <(awk '
  /^## / { in_setup = ($0 == "## Set up") }
  in_setup && /^```sh$/ { in_block = 1; next }
  in_block && /^```$/ { in_block = 0; next }
  in_setup && in_block && NF { print }
' README.md)
if [ "${#commands[@]}" -ne 2 ]; then
  echo "README.md's Set up section should hold 2 commands, found ${#commands[@]}:" >&2
  printf '  %s\n' "${commands[@]}" >&2
  exit 1
fi
for command in "${commands[@]}"; do
  echo "::: fresh clone: $command"
  bash -euo pipefail -c "$command"
  if [ -n "$(git status --porcelain)" ]; then
    echo "'$command' left the clone dirty:" >&2
    git status --short >&2
    exit 1
  fi
done
echo "fresh clone: README's commands passed, clone clean"
