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
//! event count is made, so its notifiers skip their fences from the start. Where the call is
//! missing or refused (seccomp), or outside Linux on x86_64 and aarch64, both sides use
//! `SeqCst` fences, as every other event count does. The choice is made once and never
//! changes: a notifier skips its fence only after seeing it made in favour of the call, and
//! from then on every waiter makes the call.
//!
//! Under loom both sides are `SeqCst` fences: loom cannot model the call, so the models check
//! the symmetric protocol, and this module's argument carries the rest.

#[cfg(all(
    not(loom),
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use std::ffi::{c_int, c_long, c_uint};
    use std::sync::OnceLock;

    use core::sync::atomic::{compiler_fence, fence, Ordering};

    /// Whether the process is registered for private expedited membarriers (decided once).
    pub(super) static REGISTERED: OnceLock<bool> = OnceLock::new();

    #[cfg(target_arch = "x86_64")]
    const SYS_MEMBARRIER: c_long = 324;
    #[cfg(target_arch = "aarch64")]
    const SYS_MEMBARRIER: c_long = 283;
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

    /// Registers the process for the call, once; whether it is registered.
    pub(crate) fn register() -> bool {
        *REGISTERED.get_or_init(|| membarrier(REGISTER_PRIVATE_EXPEDITED))
    }

    /// The notifier's side: a compiler fence once the waiters' side is the system call, else
    /// a `SeqCst` fence.
    #[inline(always)]
    pub(crate) fn light() {
        if REGISTERED.get() == Some(&true) {
            compiler_fence(Ordering::SeqCst);
        } else {
            fence(Ordering::SeqCst);
        }
    }

    /// The waiter's side: the system call, or a `SeqCst` fence where it is not available.
    pub(crate) fn heavy() {
        if register() {
            // A child of `fork` inherits `REGISTERED` but not the registration: register
            // again. Any other failure cannot happen once registered, and carrying on without
            // the barrier (notifiers already skip their fences) could lose a wake-up, so it
            // aborts.
            let done = membarrier(PRIVATE_EXPEDITED)
                || (membarrier(REGISTER_PRIVATE_EXPEDITED) && membarrier(PRIVATE_EXPEDITED));
            if !done {
                std::process::abort();
            }
        } else {
            fence(Ordering::SeqCst);
        }
    }
}

#[cfg(not(all(
    not(loom),
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    use crate::loom::{fence, Ordering};

    /// No asymmetric fence here: nothing to register.
    pub(crate) fn register() -> bool {
        false
    }

    /// The notifier's side: a `SeqCst` fence.
    #[inline(always)]
    pub(crate) fn light() {
        fence(Ordering::SeqCst);
    }

    /// The waiter's side: a `SeqCst` fence.
    pub(crate) fn heavy() {
        fence(Ordering::SeqCst);
    }
}

pub(crate) use imp::{heavy, light, register};

#[cfg(all(test, not(loom)))]
mod tests {
    /// Both sides run, in either order, as often as needed: a failed call after the
    /// registration would abort the test binary. On Linux here the registration must hold,
    /// or broadcast notifiers keep their fences (the whole point of the module).
    #[test]
    fn both_sides_run() {
        super::light();
        let registered = super::register();
        for _ in 0..3 {
            super::heavy();
            super::light();
        }
        if cfg!(all(
            target_os = "linux",
            any(target_arch = "x86_64", target_arch = "aarch64")
        )) {
            assert!(
                registered,
                "membarrier registration refused on this machine"
            );
        }
    }
}
