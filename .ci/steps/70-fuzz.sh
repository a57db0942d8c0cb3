#!/usr/bin/env bash
# Fuzzing: the frame decoder, the relay's handshake machine and the FS envelope decoder with
# the session machine, 30 s each, from the committed
# seed corpus (fuzz/corpus/). Stable toolchain only: the targets are cargo-fuzz targets built
# with cargo-fuzz's own coverage flags (all stable -C flags; no sanitizer, so no nightly), which
# is what `cargo fuzz run --sanitizer none -O <target>` does, without installing cargo-fuzz.
set -euo pipefail
SECONDS_PER_TARGET="${FUZZ_SECONDS:-30}"
if ! command -v c++ >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y -qq g++ >/dev/null   # libfuzzer-sys compiles libFuzzer (C++)
fi
TARGET="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
-Cdebug-assertions -Coverflow-checks"
cargo build --release --locked --manifest-path fuzz/Cargo.toml --bins --target "$TARGET"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in frame_decoder relay_handshake fs_envelope; do
  mkdir -p "$work/$target" "$work/artifacts-$target"
  echo "fuzzing $target for ${SECONDS_PER_TARGET} s"
  # New inputs go to the scratch folder; the committed corpus is only read.
  if ! "fuzz/target/$TARGET/release/$target" -max_total_time="$SECONDS_PER_TARGET" \
      -artifact_prefix="$work/artifacts-$target/" -print_final_stats=1 \
      "$work/$target" "fuzz/corpus/$target" 2>"$work/$target.log"; then
    tail -n 40 "$work/$target.log" >&2
    echo "fuzz target $target failed; crashing inputs:" >&2
    for crash in "$work/artifacts-$target"/*; do echo "$crash: $(xxd -p "$crash" | tr -d '\n')" >&2; done
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^Done" "$work/$target.log" || true
done
