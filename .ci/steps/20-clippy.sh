#!/usr/bin/env bash
# Lints on every target (lib, tests, benches, examples), warnings as errors.
set -euo pipefail
cargo clippy --all-targets -- -D warnings
