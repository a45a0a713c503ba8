//! The async ends allocate nothing per await in the steady state: a task's registration
//! reuses the event count's list and clones its waker (a reference count), never a box.
//!
//! A counting global allocator serves the whole test binary, so this file holds one test and
//! nothing else allocates concurrently with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use wharf::channel::bounded;

/// Allocations made while [`COUNTING`] is set.
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static COUNTING: AtomicBool = AtomicBool::new(false);

/// The system allocator, counting allocations while asked to.
struct Counting;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counter only observes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's guarantees for `layout` are those `System.alloc` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above (that is, from `System`) with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Ping-pong between two tasks, each on its own thread under `futures::executor::block_on`,
/// over capacity-1 channels: both sides wait (register their wakers) on most messages.
#[test]
fn no_allocation_per_await() {
    const WARM_UP: u64 = 2_000;
    const MEASURED: u64 = 20_000;
    let (ping_tx, ping_rx) = bounded(1);
    let (pong_tx, pong_rx) = bounded(1);
    let echo = thread::spawn(move || {
        futures::executor::block_on(async move {
            while let Ok(v) = ping_rx.recv_async().await {
                pong_tx.send_async(v).await.unwrap();
            }
        })
    });
    let waits = futures::executor::block_on(async move {
        let round = |i: u64| {
            let (ping_tx, pong_rx) = (&ping_tx, &pong_rx);
            async move {
                ping_tx.send_async(i).await.unwrap();
                assert_eq!(pong_rx.recv_async().await, Ok(i));
            }
        };
        for i in 0..WARM_UP {
            round(i).await;
        }
        COUNTING.store(true, Ordering::SeqCst);
        for i in 0..MEASURED {
            round(i).await;
        }
        COUNTING.store(false, Ordering::SeqCst);
        let waits = pong_rx.__waiters();
        drop(ping_tx);
        waits
    });
    echo.join().unwrap();
    let allocations = ALLOCATIONS.load(Ordering::SeqCst);
    assert_eq!(waits, (0, 0));
    assert_eq!(
        allocations, 0,
        "{allocations} allocations in {MEASURED} round trips of awaits"
    );
}
