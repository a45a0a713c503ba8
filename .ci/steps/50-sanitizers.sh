#!/usr/bin/env bash
# ThreadSanitizer and AddressSanitizer (with LeakSanitizer) on the nightly toolchain.
# - TSan runs tests/sanitizer_stress/: stress over every type, written so that TSan can see
#   all of the test's own synchronisation (std is precompiled without TSan, so a test that
#   shares data through a std Mutex or the join of `thread::scope` gets false reports; see
#   that file). Known false positives in libtest and std are listed in tsan-suppressions.txt.
# - ASan runs every unit and integration test, stress tests included.
# Doc tests are left out: they are examples, and they already ran on stable. There is no
# `--lib`: `--tests` includes src/'s few unit tests (padded_slice, the asymmetric fence).
#
# Flags, for anyone reproducing a report by hand:
# - `-Zsanitizer=...` instruments our code and the dependencies; std is not rebuilt (no
#   rust-src here), hence `-Cunsafe-allow-abi-mismatch=sanitizer`.
# - Each sanitizer builds into its own target directory so it never invalidates the normal
#   build.
# - WHARF_TEST_SCALE sizes the stress loops: four times the full size for the TSan file (it
#   is small: 15 to 30 s on the 2-core machine, and more rounds are more interleavings for
#   TSan to see), a fifth for the ASan run over everything (instrumented code runs several
#   times slower).
set -euo pipefail

target=x86_64-unknown-linux-gnu

echo "--- ThreadSanitizer"
# `--cfg wharf_sanitize_thread` gives the event counts' task lists a lock TSan can see (std's
# Mutex is precompiled without instrumentation), so tests/sanitizer_async.rs checks the async
# ends' registrations, wake-ups and cancellations too.
WHARF_TEST_SCALE=${WHARF_TEST_SCALE:-4} RUSTFLAGS="-Zsanitizer=thread -Cunsafe-allow-abi-mismatch=sanitizer --cfg wharf_sanitize_thread" \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/.ci/tsan-suppressions.txt" \
    CARGO_TARGET_DIR=target/tsan \
    cargo +nightly test --quiet --target "$target" --test sanitizer_stress --test sanitizer_async

echo "--- AddressSanitizer + LeakSanitizer"
# allocator_may_return_null: the absurd-capacity tests ask for more memory than exists and
# expect our clear panic, not ASan's abort.
WHARF_TEST_SCALE=${WHARF_TEST_SCALE:-0.2} RUSTFLAGS="-Zsanitizer=address -Cunsafe-allow-abi-mismatch=sanitizer" \
    ASAN_OPTIONS="detect_leaks=1 allocator_may_return_null=1" \
    CARGO_TARGET_DIR=target/asan \
    cargo +nightly test --quiet --target "$target" --tests
