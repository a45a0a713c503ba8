#!/usr/bin/env bash
# Formatting, for the crate and the loom models.
set -euo pipefail
cargo fmt --all --check
if [ -f loom-tests/Cargo.toml ]; then
    (cd loom-tests && cargo fmt --check)
fi
