#!/usr/bin/env bash
# The loom models (loom-tests/), at two preemptions unless LOOM_MAX_PREEMPTIONS says otherwise.
set -euo pipefail
start=$SECONDS
(
    cd loom-tests
    RUSTFLAGS="--cfg loom" \
        LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" \
        cargo test --release
)
echo "loom: $((SECONDS - start)) s wall (build and run)"
