//! The one door through which wharf reaches atomics, `UnsafeCell`, spin hints and
//! `yield_now`.
//!
//! Under `--cfg loom` every item here is loom's, so the queues are model-checked by the very
//! code that ships. A downstream crate that runs its own loom models with `--cfg loom` gets
//! wharf's queues modelled too. Platform fast paths are off under loom.
//!
//! `UnsafeCell` has loom's closure API (`with`, `with_mut`) on both sides, so the same call
//! sites compile either way and loom can check every access to a slot's value.
//!
//! [`AtomicMut`] reads and writes an atomic through `&mut` with no atomic instruction (std's
//! `get_mut`, loom's `with_mut`), for the queues' `&mut self` paths; under loom the access is
//! still checked to happen after every write to the atomic.

#[cfg(loom)]
pub(crate) use loom_impl::*;
#[cfg(not(loom))]
pub(crate) use std_impl::*;

/// Plain access to an atomic through `&mut`: no other thread can reach it, so no atomic
/// instruction and no ordering is needed.
pub(crate) trait AtomicMut {
    /// The integer (or `bool`) the atomic holds.
    type Value: Copy;
    /// The current value.
    fn read_mut(&mut self) -> Self::Value;
    /// Replaces the value.
    fn write_mut(&mut self, value: Self::Value);
}

/// Implements [`AtomicMut`] for the shim's atomics: through std's `get_mut`, or under loom
/// through `with_mut` (which checks that every earlier write happens before the access).
macro_rules! atomic_mut {
    ($($atomic:ident: $value:ty),* $(,)?) => {$(
        impl AtomicMut for $atomic {
            type Value = $value;
            #[cfg(not(loom))]
            #[inline(always)]
            fn read_mut(&mut self) -> $value {
                *self.get_mut()
            }
            #[cfg(not(loom))]
            #[inline(always)]
            fn write_mut(&mut self, value: $value) {
                *self.get_mut() = value;
            }
            #[cfg(loom)]
            fn read_mut(&mut self) -> $value {
                self.with_mut(|v| *v)
            }
            #[cfg(loom)]
            fn write_mut(&mut self, value: $value) {
                self.with_mut(|v| *v = value);
            }
        }
    )*};
}

atomic_mut!(AtomicU8: u8, AtomicUsize: usize, AtomicU64: u64);

#[cfg(not(loom))]
mod std_impl {
    pub(crate) use core::hint::spin_loop;
    pub(crate) use core::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub(crate) use crossbeam_utils::Backoff;
    pub(crate) use std::sync::{Arc, Condvar, Mutex};
    pub(crate) use std::thread::{current, park, park_timeout, yield_now, Thread};

    #[cfg(wharf_sanitize_thread)]
    pub(crate) use super::tsan_mutex::DataMutex;
    /// The lock of data that threads share (the event counts' task lists): std's `Mutex`,
    /// except under `--cfg wharf_sanitize_thread` (the ThreadSanitizer run of CI), where
    /// std, precompiled without instrumentation, would hide the lock's synchronisation from
    /// TSan and make every access to the data look like a race. There it is a spin lock on
    /// atomics of this crate, which TSan sees.
    #[cfg(not(wharf_sanitize_thread))]
    pub(crate) use std::sync::Mutex as DataMutex;

    /// A cell whose contents are reached through raw pointers handed to a closure.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            Self(core::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a shared pointer to the contents.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with an exclusive pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// A spin lock with the part of `std::sync::Mutex`'s API the crate uses, for the
/// ThreadSanitizer build only (see `DataMutex`). Never poisoned.
#[cfg(all(wharf_sanitize_thread, not(loom)))]
mod tsan_mutex {
    use core::cell::UnsafeCell;
    use core::ops::{Deref, DerefMut};
    use core::sync::atomic::{AtomicBool, Ordering};
    use std::sync::LockResult;

    #[derive(Debug, Default)]
    pub(crate) struct DataMutex<T> {
        locked: AtomicBool,
        data: UnsafeCell<T>,
    }

    // SAFETY: the lock gives one thread at a time access to `data`, as std's `Mutex` does.
    unsafe impl<T: Send> Sync for DataMutex<T> {}

    impl<T> DataMutex<T> {
        pub(crate) fn new(data: T) -> Self {
            Self {
                locked: AtomicBool::new(false),
                data: UnsafeCell::new(data),
            }
        }

        pub(crate) fn lock(&self) -> LockResult<Guard<'_, T>> {
            // Acquire: pairs with the Release store in `Guard::drop`, so the previous
            // holder's writes to `data` happen before ours.
            while self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
            {
                std::thread::yield_now();
            }
            Ok(Guard { lock: self })
        }
    }

    pub(crate) struct Guard<'a, T> {
        lock: &'a DataMutex<T>,
    }

    impl<T> Deref for Guard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            // SAFETY: the guard holds the lock, so no other thread reaches `data`.
            unsafe { &*self.lock.data.get() }
        }
    }

    impl<T> DerefMut for Guard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            // SAFETY: as in `deref`, and `&mut self` makes this the only reference.
            unsafe { &mut *self.lock.data.get() }
        }
    }

    impl<T> Drop for Guard<'_, T> {
        fn drop(&mut self) {
            // Release: publishes our writes to `data` to the next `lock`.
            self.lock.locked.store(false, Ordering::Release);
        }
    }
}

#[cfg(loom)]
mod loom_impl {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub(crate) use loom::sync::Mutex as DataMutex;
    pub(crate) use loom::sync::{Arc, Condvar, Mutex};
    pub(crate) use loom::thread::{current, park, yield_now, Thread};

    /// Loom has no clock: a timed park is a yield (a park may always return early).
    pub(crate) fn park_timeout(_: std::time::Duration) {
        loom::thread::yield_now();
    }

    /// A spin hint is a yield under loom, so that a spin loop is explored as a wait.
    pub(crate) fn spin_loop() {
        loom::thread::yield_now();
    }

    /// Back-off for loom: every wait is a yield, so loom sees the spin as a spin and does not
    /// explore it forever.
    #[derive(Debug, Default)]
    pub(crate) struct Backoff(());

    impl Backoff {
        pub(crate) fn new() -> Self {
            Self(())
        }
        pub(crate) fn spin(&self) {
            loom::thread::yield_now();
        }
        pub(crate) fn snooze(&self) {
            loom::thread::yield_now();
        }
    }
}
