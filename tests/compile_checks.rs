//! Compile-time checks of the queues' auto traits: a queue is `Send` and `Sync` exactly when
//! its element type is `Send` (the `unsafe impl`s in `src`), whatever `T: Sync` says.
//!
//! A negative check ("is not `Send`") uses a trait with two blanket impls, one for every type
//! and one for `Send` types: naming the method without fixing the impl's parameter compiles
//! only if exactly one impl applies, that is, only if the type is *not* `Send`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::MutexGuard;

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

macro_rules! assert_not_send_sync {
    ($($t:ty),* $(,)?) => {$(
        <$t as AmbiguousIfSend<_>>::not_send();
        <$t as AmbiguousIfSync<_>>::not_sync();
    )*};
}

fn is_send_sync<T: Send + Sync>() {}

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
