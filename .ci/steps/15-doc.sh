#!/usr/bin/env bash
# The crate's public docs build without a warning (broken or private intra-doc links,
# redundant link targets, bad HTML): what docs.rs will show.
set -euo pipefail
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps
