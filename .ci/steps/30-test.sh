#!/usr/bin/env bash
# The README's test command (unit, integration and doc tests), then the examples.
set -euo pipefail
cargo test
cargo run --quiet --example message_queue >/dev/null
cargo run --quiet --example message_queue_nonblocking >/dev/null
cargo run --quiet --example message_queue_async >/dev/null
