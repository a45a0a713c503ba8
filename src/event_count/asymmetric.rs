//! An asymmetric fence for event counts whose notifiers are hot and whose waiters are not:
//! the notifier's side of the Dekker handshake costs a compiler fence, and the waiter's side
//! a `membarrier(2)` system call, which makes every running thread of the process execute a
//! full memory barrier before it returns.
//!
//! Why that is enough: the handshake needs, on each side, the first access (the notifier's
//! write of its condition; the waiter's registration) ordered before the second (the load of
//! the waiter count; the re-check of the condition).
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)` guarantees that every other thread of the
//! process that runs during the call passes a point where its memory accesses are ordered as
//! its program orders them (a thread that is not running passed one when it was switched
//! out). So a notifier's pair of accesses either lies entirely before that point, and its
//! write is visible to the waiter's re-check, which follows the call; or its load comes after
//! it, and so after the waiter's registration, which the call orders before itself. This is
//! the pairing the kernel documents for the call ("membarrier(2)", Linux man-pages), as
//! folly's `asymmetricHeavyBarrier` and liburcu use it; the notifier's compiler fence keeps
//! the compiler from reordering its two accesses.
//!
//! The process registers for the call once (Linux 4.14 and later), when the first asymmetric
//! event count is made, and each such event count keeps the answer it got, so its notifiers
//! and its waiters always agree. Where the call is missing or refused with an error (a
//! seccomp filter that kills instead would end the process at the first registration),
//! under Miri, or outside 64-bit Linux on x86_64 and aarch64, both sides use `SeqCst`
//! fences, as every other event count does.
//!
//! Costs: a waiter pays the call each time it registers, which for a thread is after it
//! has spun and yielded, but for a task is at every `Pending`; and the call interrupts every
//! CPU running a thread of the process. Only the broadcast ring's event counts use it.
//! Besides the kernel's guarantee, this relies on `compiler_fence` acting as a compiler
//! barrier, as folly, liburcu and the `membarrier` crate do.
//!
//! Under loom no event count registers, so both sides are `SeqCst` fences: loom cannot model
//! the call; the models check the symmetric protocol, and this module's argument carries the
//! rest.

#[cfg(all(
    not(loom),
    not(miri),
    target_os = "linux",
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use std::ffi::{c_int, c_long, c_uint};
    use std::sync::OnceLock;

    use core::sync::atomic::{compiler_fence, Ordering};

    /// Whether the process is registered for private expedited membarriers (decided once).
    pub(super) static REGISTERED: OnceLock<bool> = OnceLock::new();

    #[cfg(target_arch = "x86_64")]
    const SYS_MEMBARRIER: c_long = 324;
    #[cfg(target_arch = "aarch64")]
    const SYS_MEMBARRIER: c_long = 283;
    /// `MEMBARRIER_CMD_GLOBAL`.
    const GLOBAL: c_int = 1 << 0;
    /// `MEMBARRIER_CMD_PRIVATE_EXPEDITED`.
    const PRIVATE_EXPEDITED: c_int = 1 << 3;
    /// `MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED`.
    const REGISTER_PRIVATE_EXPEDITED: c_int = 1 << 4;

    extern "C" {
        /// The C library's generic system call entry (glibc and musl both export it).
        fn syscall(number: c_long, ...) -> c_long;
    }

    /// `membarrier(command, 0, 0)`; whether it succeeded.
    fn membarrier(command: c_int) -> bool {
        // SAFETY: `membarrier` takes two integers and a CPU id and touches no memory of ours;
        // an unknown command or an old kernel answers with an error, which we check.
        unsafe { syscall(SYS_MEMBARRIER, command, 0 as c_uint, 0 as c_int) == 0 }
    }

    /// Registers the process for the call, once; whether it is registered. An event count
    /// asks once, when it is made, and keeps the answer: its notifiers skip their fences
    /// only if it was yes, and then its waiters always make the call.
    pub(crate) fn register() -> bool {
        *REGISTERED.get_or_init(|| membarrier(REGISTER_PRIVATE_EXPEDITED))
    }

    /// The notifier's side, for a registered event count: keeps the compiler from moving
    /// the condition's write after the load of the waiter count.
    #[inline(always)]
    pub(crate) fn light() {
        compiler_fence(Ordering::SeqCst);
    }

    /// The waiter's side, for a registered event count: the system call. If it fails
    /// (a lost registration, or `ENOMEM` where the kernel allocates a CPU mask), registers
    /// again and retries, then falls back to `MEMBARRIER_CMD_GLOBAL` (slower, needs no
    /// registration); only if that fails too does it abort, since notifiers skip their
    /// fences and carrying on could lose a wake-up.
    pub(crate) fn heavy() {
        let done = membarrier(PRIVATE_EXPEDITED)
            || (membarrier(REGISTER_PRIVATE_EXPEDITED) && membarrier(PRIVATE_EXPEDITED))
            || membarrier(GLOBAL);
        if !done {
            std::process::abort();
        }
    }
}

#[cfg(not(all(
    not(loom),
    not(miri),
    target_os = "linux",
    target_pointer_width = "64",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    /// No asymmetric fence here: event counts keep their fences.
    pub(crate) fn register() -> bool {
        false
    }

    /// Never called: no event count is registered here.
    pub(crate) fn light() {
        unreachable!("no asymmetric fence on this target")
    }

    /// Never called: no event count is registered here.
    pub(crate) fn heavy() {
        unreachable!("no asymmetric fence on this target")
    }
}

pub(crate) use imp::{heavy, light, register};

#[cfg(all(test, not(loom)))]
mod tests {
    /// Where the process registers, both sides run, in either order, as often as needed (a
    /// failed call would abort the test binary).
    #[test]
    fn both_sides_run_once_registered() {
        if super::register() {
            for _ in 0..3 {
                super::light();
                super::heavy();
            }
        }
    }
}
