//! Compile-time checks of the queues' auto traits: a queue is `Send` and `Sync` exactly when
//! its element type is `Send` (the `unsafe impl`s in `src`), whatever `T: Sync` says; the
//! queues and the channel handles are `UnwindSafe` and `RefUnwindSafe` whatever `T` is (as
//! crossbeam's), a channel over a queue that is not `RefUnwindSafe` is neither; and which
//! iterators are fused.
//!
//! A negative check ("is not `Send`") uses a trait with two blanket impls, one for every type
//! and one for `Send` types: naming the method without fixing the impl's parameter compiles
//! only if exactly one impl applies, that is, only if the type is *not* `Send`.

use std::cell::{Cell, RefCell};
use std::iter::FusedIterator;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::rc::Rc;
use std::sync::MutexGuard;

use wharf::channel::{IntoIter, Iter, Receiver, Sender, TryIter};
use wharf::{ArrayQueue, ArrayQueueIntoIter, LinkedQueue, LinkedQueueIntoIter, Queue};

/// Compiles for `T` only if `T` is not `Send` (see the module docs).
trait AmbiguousIfSend<A> {
    fn not_send() {}
}
impl<T: ?Sized> AmbiguousIfSend<()> for T {}
impl<T: ?Sized + Send> AmbiguousIfSend<u8> for T {}

/// Compiles for `T` only if `T` is not `Sync`.
trait AmbiguousIfSync<A> {
    fn not_sync() {}
}
impl<T: ?Sized> AmbiguousIfSync<()> for T {}
impl<T: ?Sized + Sync> AmbiguousIfSync<u8> for T {}

/// Compiles for `T` only if `T` is not `UnwindSafe`.
trait AmbiguousIfUnwindSafe<A> {
    fn not_unwind_safe() {}
}
impl<T: ?Sized> AmbiguousIfUnwindSafe<()> for T {}
impl<T: ?Sized + UnwindSafe> AmbiguousIfUnwindSafe<u8> for T {}

/// Compiles for `T` only if `T` is not `RefUnwindSafe`.
trait AmbiguousIfRefUnwindSafe<A> {
    fn not_ref_unwind_safe() {}
}
impl<T: ?Sized> AmbiguousIfRefUnwindSafe<()> for T {}
impl<T: ?Sized + RefUnwindSafe> AmbiguousIfRefUnwindSafe<u8> for T {}

/// Neither `UnwindSafe` nor `RefUnwindSafe`.
macro_rules! assert_not_unwind_safe {
    ($($t:ty),* $(,)?) => {$(
        <$t as AmbiguousIfUnwindSafe<_>>::not_unwind_safe();
        <$t as AmbiguousIfRefUnwindSafe<_>>::not_ref_unwind_safe();
    )*};
}

/// Not `RefUnwindSafe` (and maybe `UnwindSafe`).
macro_rules! assert_not_ref_unwind_safe {
    ($($t:ty),* $(,)?) => {$(
        <$t as AmbiguousIfRefUnwindSafe<_>>::not_ref_unwind_safe();
    )*};
}

macro_rules! assert_not_send_sync {
    ($($t:ty),* $(,)?) => {$(
        <$t as AmbiguousIfSend<_>>::not_send();
        <$t as AmbiguousIfSync<_>>::not_sync();
    )*};
}

fn is_send_sync<T: Send + Sync>() {}

fn is_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn send_and_sync_when_element_is_send() {
    is_send_sync::<ArrayQueue<u64>>();
    is_send_sync::<LinkedQueue<u64>>();
    is_send_sync::<ArrayQueue<String>>();
    is_send_sync::<LinkedQueue<Box<[u8]>>>();
    is_send_sync::<ArrayQueue<()>>();
    // `Cell` and `RefCell` are `Send` but not `Sync`: the queues never share a `&T`, so the
    // queue is still `Sync`.
    is_send_sync::<ArrayQueue<Cell<u8>>>();
    is_send_sync::<LinkedQueue<Cell<u8>>>();
    is_send_sync::<ArrayQueue<RefCell<Vec<u8>>>>();
    is_send_sync::<LinkedQueue<RefCell<Vec<u8>>>>();
    // Iterators follow their queue.
    is_send_sync::<ArrayQueueIntoIter<Cell<u8>>>();
    is_send_sync::<LinkedQueueIntoIter<Cell<u8>>>();
}

#[test]
fn neither_send_nor_sync_when_element_is_not_send() {
    assert_not_send_sync!(
        ArrayQueue<Rc<u8>>,
        LinkedQueue<Rc<u8>>,
        ArrayQueueIntoIter<Rc<u8>>,
        LinkedQueueIntoIter<Rc<u8>>,
        // `Sync` but not `Send`: still not enough.
        ArrayQueue<MutexGuard<'static, u8>>,
        LinkedQueue<MutexGuard<'static, u8>>,
        ArrayQueue<*const u8>,
        LinkedQueue<*const u8>,
    );
}

#[test]
fn the_checks_themselves_work() {
    // The negative check must compile for plain non-`Send` types...
    assert_not_send_sync!(Rc<u8>, *const u8);
    // ...and a `Send + Sync` type must pass the positive one (a non-`Send` one would not
    // compile here, which this file cannot show without failing).
    is_send_sync::<u64>();
}

#[test]
fn queue_trait_is_object_safe() {
    let queues: [Box<dyn Queue<u64> + Send + Sync>; 2] =
        [Box::new(ArrayQueue::new(2)), Box::new(LinkedQueue::new())];
    for q in &queues {
        q.try_push(5).unwrap();
        assert_eq!(q.try_pop(), Some(5));
    }
}

/// Element types that are neither `UnwindSafe` nor `RefUnwindSafe` themselves: a queue or
/// channel handle of them still is, as crossbeam's are.
type NotUnwindSafe = (Cell<u8>, &'static mut u8);

#[test]
fn unwind_safe_whatever_the_element() {
    is_unwind_safe::<ArrayQueue<NotUnwindSafe>>();
    is_unwind_safe::<LinkedQueue<NotUnwindSafe>>();
    is_unwind_safe::<ArrayQueueIntoIter<NotUnwindSafe>>();
    is_unwind_safe::<LinkedQueueIntoIter<NotUnwindSafe>>();
    is_unwind_safe::<Sender<NotUnwindSafe>>();
    is_unwind_safe::<Receiver<NotUnwindSafe>>();
    is_unwind_safe::<Sender<NotUnwindSafe, ArrayQueue<NotUnwindSafe>>>();
    is_unwind_safe::<Receiver<NotUnwindSafe, LinkedQueue<NotUnwindSafe>>>();
    is_unwind_safe::<Iter<'static, NotUnwindSafe>>();
    is_unwind_safe::<IntoIter<NotUnwindSafe>>();
}

/// A queue of the caller's that is not `RefUnwindSafe` (its `RefCell` could be left mid-borrow
/// by a panic): a channel over it must not claim unwind safety.
struct CellQueue(RefCell<Vec<u8>>);

impl Queue<u8> for CellQueue {
    fn try_push(&self, value: u8) -> Result<(), u8> {
        self.0.borrow_mut().push(value);
        Ok(())
    }
    fn try_pop(&self) -> Option<u8> {
        self.0.borrow_mut().pop()
    }
    fn len(&self) -> usize {
        self.0.borrow().len()
    }
    fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }
    fn capacity(&self) -> Option<usize> {
        None
    }
}

#[test]
fn not_unwind_safe_over_a_queue_that_is_not() {
    assert_not_ref_unwind_safe!(CellQueue);
    assert_not_unwind_safe!(Sender<u8, CellQueue>, Receiver<u8, CellQueue>);
    // And the checks themselves work.
    assert_not_ref_unwind_safe!(Cell<u8>);
    assert_not_unwind_safe!(&'static mut Cell<u8>);
    let (tx, rx) = wharf::channel::with_queue(CellQueue(RefCell::new(Vec::new())));
    tx.send(1).unwrap();
    assert_eq!(rx.recv(), Ok(1));
}

#[test]
fn catch_unwind_takes_handles_without_assert_unwind_safe() {
    let (tx, rx) = wharf::channel::unbounded::<Cell<u8>>();
    // By reference (`RefUnwindSafe`)...
    let sent = std::panic::catch_unwind(|| tx.send(Cell::new(1)));
    assert!(matches!(sent, Ok(Ok(()))));
    // ...and by value (`UnwindSafe`).
    let tx2 = tx.clone();
    assert!(std::panic::catch_unwind(move || drop(tx2)).is_ok());
    assert_eq!(rx.recv().map(Cell::into_inner), Ok(1));
    assert!(std::panic::catch_unwind(move || drop(rx)).is_ok());
    // The queues too, and one a panic went through is still whole.
    let q = ArrayQueue::<Cell<u8>>::new(2);
    let r = std::panic::catch_unwind(|| {
        q.push(Cell::new(7)).unwrap();
        panic!("after a push");
    });
    assert!(r.is_err());
    assert_eq!(q.pop().map(Cell::into_inner), Some(7));
    let l = LinkedQueue::<Cell<u8>>::new();
    assert!(std::panic::catch_unwind(move || drop(l)).is_ok());
}

/// Compiles for `I` only if `I` is not a `FusedIterator`.
trait AmbiguousIfFused<A> {
    fn not_fused() {}
}
impl<T: ?Sized> AmbiguousIfFused<()> for T {}
impl<T: ?Sized + FusedIterator> AmbiguousIfFused<u8> for T {}

fn is_fused<I: FusedIterator>() {}

#[test]
fn fused_iterators() {
    is_fused::<Iter<'static, u8>>();
    is_fused::<IntoIter<u8>>();
    is_fused::<Iter<'static, u8, ArrayQueue<u8>>>();
    is_fused::<IntoIter<u8, LinkedQueue<u8>>>();
    is_fused::<ArrayQueueIntoIter<u8>>();
    is_fused::<LinkedQueueIntoIter<u8>>();
    // `try_iter` ends at "nothing now" and yields again once a value arrives: not fused.
    <TryIter<'static, u8> as AmbiguousIfFused<_>>::not_fused();
}
