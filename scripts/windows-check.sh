#!/usr/bin/env bash
# The Windows check (a compile check; nothing runs on Windows here): `cargo check` and
# `cargo clippy -D warnings`, both --all-targets, for x86_64-pc-windows-gnu, with Debian's
# rustc-web/cargo-web/rust-web-src/rust-web-clippy (the standard library is built from
# source: -Zbuild-std) and the MinGW C compiler (libssh2's and zlib's C code). .ci/apt-packages
# installs them. Its own target dir (target/windows) keeps the host build's cache intact;
# after the first run (~10 min on 2 cores) it takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in /usr/bin/cargo /usr/bin/rustc /usr/bin/cargo-clippy x86_64-w64-mingw32-gcc; do
  command -v "$t" >/dev/null || {
    echo "windows-check: $t missing; apt-get install rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64" >&2
    exit 1
  }
done
# Debian's cargo and clippy first: a rustup proxy on PATH would pair another clippy-driver
# with Debian's rustc. RUSTC_BOOTSTRAP=1 allows -Zbuild-std on this stable compiler.
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
args=("-Zbuild-std=std,panic_abort" --target x86_64-pc-windows-gnu --target-dir target/windows --all-targets --locked)
/usr/bin/cargo check "${args[@]}"
/usr/bin/cargo clippy "${args[@]}" -- -D warnings
