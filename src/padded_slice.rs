//! A boxed slice on cache lines of its own: its allocation starts on a line boundary and
//! ends on one, so no other allocation shares a line with it.
//!
//! Why: a ring's slots are written by every push and pop. In a `Box<[T]>` the allocator may
//! put another object (another queue's slots, a counter some thread writes) on the first or
//! the last line of the slots, and then every write to one moves the line away from the
//! other's user. A capacity-1 ring is 16 bytes, so two of them, or one and anything small,
//! can share a line; which they do depends on the allocation pattern of the whole program. A
//! capacity-1 channel's ping-pong measured 261 ns against 180 ns with the same code when the
//! program's other allocations changed, and 161 ns against 170 ns once each ring's slots had
//! lines of their own (`bash benches/ab.sh e0e209e chan-pingpong chan-wharf-yield`).

use core::alloc::Layout;
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use std::alloc::{alloc, dealloc};

use crossbeam_utils::CachePadded;

/// The line size the slice is aligned and padded to: the one `CachePadded` pads to (128 bytes
/// on x86_64, where the adjacent-line prefetcher pulls lines in pairs).
const LINE: usize = core::mem::align_of::<CachePadded<u8>>();

/// `len` values of `T` in an allocation of whole cache lines (see the module docs).
///
/// Invariants: `ptr` points to an allocation of `layout(len)` holding `len` initialised
/// values, owned by this slice.
pub(crate) struct PaddedSlice<T> {
    ptr: NonNull<T>,
    len: usize,
}

// SAFETY: a `PaddedSlice<T>` owns its values as a `Box<[T]>` does, so it may move to and be
// shared with other threads exactly when a `Box<[T]>` may.
unsafe impl<T: Send> Send for PaddedSlice<T> {}
// SAFETY: as for `Send`: `&PaddedSlice<T>` gives only `&T`s.
unsafe impl<T: Sync> Sync for PaddedSlice<T> {}

impl<T> PaddedSlice<T> {
    /// A slice of `len` values, the `i`-th being `init(i)`; `None` if it is too large to
    /// allocate. `len` must be at least 1.
    pub(crate) fn try_from_fn(len: usize, mut init: impl FnMut(usize) -> T) -> Option<Self> {
        debug_assert!(len > 0, "an empty PaddedSlice is never needed");
        let layout = Self::layout(len)?;
        // SAFETY: `layout` has a non-zero size (at least one line).
        let ptr = NonNull::new(unsafe { alloc(layout) }.cast::<T>())?;
        // If `init` panics, drop what was written and give the allocation back.
        let mut building = Building {
            ptr,
            layout,
            written: 0,
        };
        while building.written < len {
            let value = init(building.written);
            // SAFETY: `written < len`, so the slot is inside the allocation, and it is not
            // initialised yet.
            unsafe { ptr.as_ptr().add(building.written).write(value) };
            building.written += 1;
        }
        core::mem::forget(building);
        Some(Self { ptr, len })
    }

    /// The allocation of `len` values: rounded up to whole lines, aligned to a line (or more,
    /// if `T` needs it). `None` if the size overflows.
    fn layout(len: usize) -> Option<Layout> {
        let align = LINE.max(core::mem::align_of::<T>());
        let size = core::mem::size_of::<T>()
            .checked_mul(len)?
            .max(1)
            .checked_add(align - 1)?
            & !(align - 1);
        Layout::from_size_align(size, align).ok()
    }
}

/// A `PaddedSlice` under construction: on unwind, drops its first `written` values and frees
/// the allocation.
struct Building<T> {
    ptr: NonNull<T>,
    layout: Layout,
    written: usize,
}

impl<T> Drop for Building<T> {
    fn drop(&mut self) {
        // SAFETY: the first `written` values are initialised and owned by us; the allocation
        // was made with `layout`.
        unsafe {
            ptr::drop_in_place(ptr::slice_from_raw_parts_mut(
                self.ptr.as_ptr(),
                self.written,
            ));
            dealloc(self.ptr.as_ptr().cast(), self.layout);
        }
    }
}

impl<T> Deref for PaddedSlice<T> {
    type Target = [T];

    #[inline(always)]
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` holds `len` initialised values (the type's invariant), borrowed with
        // `self`.
        unsafe { &*ptr::slice_from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for PaddedSlice<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` makes the borrow exclusive.
        unsafe { &mut *ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T> Drop for PaddedSlice<T> {
    fn drop(&mut self) {
        // Frees the allocation even if a value's destructor panics, as a `Box<[T]>` does.
        let _free = Building {
            ptr: self.ptr,
            layout: Self::layout(self.len).expect("the layout was valid when allocated"),
            written: 0,
        };
        // SAFETY: the `len` values are initialised and ours; nothing uses them after this.
        unsafe { ptr::drop_in_place(&mut **self as *mut [T]) };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn lines_of_its_own() {
        for len in [1, 2, 3, 7, 8, 9, 100] {
            let s = PaddedSlice::try_from_fn(len, |i| i as u64).unwrap();
            assert_eq!(s.as_ptr() as usize % LINE, 0, "starts on a line");
            assert!(PaddedSlice::<u64>::layout(len).unwrap().size() % LINE == 0);
            assert_eq!(
                s.iter().copied().collect::<Vec<_>>(),
                (0..len as u64).collect::<Vec<_>>()
            );
        }
        assert!(PaddedSlice::try_from_fn(usize::MAX / 2, |_| 0u64).is_none());
    }

    #[test]
    fn drops_every_value_once() {
        let drops = Rc::new(Cell::new(0));
        struct D(Rc<Cell<usize>>);
        impl Drop for D {
            fn drop(&mut self) {
                self.0.set(self.0.get() + 1);
            }
        }
        drop(PaddedSlice::try_from_fn(5, |_| D(drops.clone())).unwrap());
        assert_eq!(drops.get(), 5);
        // A panicking `init` drops what it made so far.
        let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            PaddedSlice::try_from_fn(5, |i| {
                assert!(i < 3, "init fails at 3");
                D(drops.clone())
            })
        }));
        assert!(made.is_err());
        assert_eq!(drops.get(), 8);
    }
}
