//! The `select!` and `select_biased!` macros: crossbeam-channel's syntax, over [`Select`].
//!
//! `__wharf_select!` parses the arms one at a time (a "tt muncher"), collecting each as
//! `(kind handle index (channel) (message) (pattern) (body))`. The `handle` and `index`
//! identifiers are written by the step that parses the arm; each macro step is an expansion
//! of its own, so hygiene makes them distinct variables even though they are spelled the same
//! in every arm. The last step then writes the whole selection at once: evaluate each channel
//! expression once, add the operations in order, select, and run the body of the arm whose
//! index was picked. A send's message is evaluated only if its arm is picked.
//!
//! [`Select`]: super::Select

/// Blocks until one of several channel operations can go on, does it, and runs its arm:
/// crossbeam-channel's `select!`, over any wharf channel.
///
/// ```text
/// select! {
///     recv(receiver) -> result => body,        // result: Result<T, RecvError>
///     send(sender, message) -> result => body, // result: Result<(), SendError<T>>
///     default => body,                         // or: default(timeout) => body
/// }
/// ```
///
/// - `receiver` and `sender` are expressions giving a `Receiver` or `Sender` (or a reference
///   to one); each is evaluated once, before the selection.
/// - `message` is evaluated only if its arm is picked.
/// - When several operations are ready, one is picked at random (see [`select_biased!`](crate::select_biased) for
///   the first in order).
/// - Without a `default` arm the selection blocks; `default => body` runs `body` if no
///   operation is ready now, and `default(timeout) => body` if none is ready within
///   `timeout` (a [`Duration`](std::time::Duration)).
/// - A body may `break`, `continue` or `return` out of the code around the `select!`.
/// - `select! {}` blocks for ever.
///
/// How the selection waits, and where it differs from crossbeam-channel's, is on
/// [`Select`](crate::channel::Select) and [`SelectedOperation::send`](crate::channel::SelectedOperation::send).
///
/// # Examples
///
/// ```
/// use std::thread;
/// use std::time::Duration;
/// use wharf::channel::{after, unbounded};
/// use wharf::select;
///
/// let (tx, rx) = unbounded();
/// let (done_tx, done_rx) = unbounded::<()>();
/// thread::spawn(move || {
///     for i in 0..3 {
///         tx.send(i).unwrap();
///     }
///     drop(done_tx);
/// });
/// let timeout = after(Duration::from_secs(10));
/// let mut got = Vec::new();
/// loop {
///     select! {
///         recv(rx) -> msg => match msg {
///             Ok(i) => got.push(i),
///             Err(_) => break, // every sender is gone
///         },
///         recv(done_rx) -> _ => {}
///         recv(timeout) -> _ => panic!("timed out"),
///     }
/// }
/// assert_eq!(got, [0, 1, 2]);
/// ```
///
/// A send arm and a default:
///
/// ```
/// use wharf::channel::bounded;
/// use wharf::select;
///
/// let (tx, rx) = bounded(1);
/// for i in 0..3 {
///     select! {
///         send(tx, i) -> res => res.unwrap(),
///         default => println!("full: {i} not sent"),
///     }
/// }
/// assert_eq!(rx.try_recv(), Ok(0));
/// assert!(rx.try_recv().is_err());
/// ```
#[macro_export]
macro_rules! select {
    ($($tokens:tt)*) => {
        $crate::__wharf_select!(@parse new [] [] [] $($tokens)*)
    };
}

/// [`select!`](crate::select), except that of several ready operations the first in the order written is
/// picked, not a random one.
///
/// # Examples
///
/// ```
/// use wharf::channel::unbounded;
/// use wharf::select_biased;
///
/// let (tx1, rx1) = unbounded();
/// let (tx2, rx2) = unbounded();
/// tx1.send(1).unwrap();
/// tx2.send(2).unwrap();
/// let first = select_biased! {
///     recv(rx1) -> msg => msg.unwrap(),
///     recv(rx2) -> msg => msg.unwrap(),
/// };
/// assert_eq!(first, 1);
/// ```
#[macro_export]
macro_rules! select_biased {
    ($($tokens:tt)*) => {
        $crate::__wharf_select!(@parse new_biased [] [] [] $($tokens)*)
    };
}

/// Not part of the public API: the parser and code writer of [`select!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __wharf_select {
    // Every arm parsed.
    (@parse $new:ident [$($arms:tt)*] [$($default:tt)*] $count:tt) => {
        $crate::__wharf_select!(@emit $new [$($arms)*] [$($default)*])
    };
    // Commas between arms (optional after a block).
    (@parse $new:ident $arms:tt $default:tt $count:tt , $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new $arms $default $count $($rest)*)
    };

    // recv(r) -> pattern => body
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        recv($r:expr $(,)?) -> $res:pat => { $($body:tt)* } $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (recv handle index slot (0 $($count)*) ($r) () ($res) ({ $($body)* }))]
            $default [$($count)* + 1] $($rest)*)
    };
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        recv($r:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (recv handle index slot (0 $($count)*) ($r) () ($res) ($body))]
            $default [$($count)* + 1] $($rest)*)
    };
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        recv($r:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (recv handle index slot (0 $($count)*) ($r) () ($res) ($body))]
            $default [$($count)* + 1])
    };

    // send(s, message) -> pattern => body
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        send($s:expr, $m:expr $(,)?) -> $res:pat => { $($body:tt)* } $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (send handle index slot (0 $($count)*) ($s) ($m) ($res) ({ $($body)* }))]
            $default [$($count)* + 1] $($rest)*)
    };
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr, $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (send handle index slot (0 $($count)*) ($s) ($m) ($res) ($body))]
            $default [$($count)* + 1] $($rest)*)
    };
    (@parse $new:ident [$($arms:tt)*] $default:tt [$($count:tt)*]
        send($s:expr, $m:expr $(,)?) -> $res:pat => $body:expr) => {
        $crate::__wharf_select!(@parse $new
            [$($arms)* (send handle index slot (0 $($count)*) ($s) ($m) ($res) ($body))]
            $default [$($count)* + 1])
    };

    // default => body, default(timeout) => body: at most one.
    (@parse $new:ident $arms:tt [$($old:tt)+] $count:tt default $($rest:tt)*) => {
        ::core::compile_error!("select!: more than one `default` arm")
    };
    (@parse $new:ident $arms:tt [] $count:tt default => { $($body:tt)* } $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new $arms [() ({ $($body)* })] $count $($rest)*)
    };
    (@parse $new:ident $arms:tt [] $count:tt default => $body:expr, $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new $arms [() ($body)] $count $($rest)*)
    };
    (@parse $new:ident $arms:tt [] $count:tt default => $body:expr) => {
        $crate::__wharf_select!(@parse $new $arms [() ($body)] $count)
    };
    (@parse $new:ident $arms:tt [] $count:tt
        default($t:expr $(,)?) => { $($body:tt)* } $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new $arms [($t) ({ $($body)* })] $count $($rest)*)
    };
    (@parse $new:ident $arms:tt [] $count:tt default($t:expr $(,)?) => $body:expr, $($rest:tt)*) => {
        $crate::__wharf_select!(@parse $new $arms [($t) ($body)] $count $($rest)*)
    };
    (@parse $new:ident $arms:tt [] $count:tt default($t:expr $(,)?) => $body:expr) => {
        $crate::__wharf_select!(@parse $new $arms [($t) ($body)] $count)
    };

    (@parse $new:ident $arms:tt $default:tt $count:tt $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "select!: expected `recv(r) -> res => body`, `send(s, msg) -> res => body`, ",
            "`default => body` or `default(timeout) => body`, found: ",
            ::core::stringify!($($rest)+)
        ))
    };

    // Writing the selection. First a pass over the arms in random order (in order when
    // biased) with their own types: a ready receive takes its value, a ready send is picked,
    // and the arm runs with no `Select` built (no allocation). Only if none is ready does a
    // `Select` wait (or the default arm run).
    (@emit $new:ident [] []) => {
        // `select! {}`: nothing to wait for, so wait for ever.
        loop {
            ::std::thread::park();
        }
    };
    // No operations: the default at once, or after its timeout.
    (@emit $new:ident [] [() ($default:expr)]) => {
        $default
    };
    (@emit $new:ident [] [($timeout:expr) ($default:expr)]) => {{
        let __timeout: ::std::time::Duration = $timeout;
        ::std::thread::sleep(__timeout);
        $default
    }};
    (@emit $new:ident [$($arm:tt)*] $default:tt) => {{
        $crate::__wharf_select!(@handles $($arm)*);
        $crate::__wharf_select!(@slots $($arm)*);
        let mut __order = [$($crate::__wharf_select!(@position $arm)),*];
        $crate::channel::__select_order(&mut __order, $crate::__wharf_select!(@biased $new));
        let mut __picked: ::core::option::Option<usize> = ::core::option::Option::None;
        for &__at in &__order {
            $crate::__wharf_select!(@try __at __picked $($arm)*);
        }
        // A send picked by the `Select` completes through its `SelectedOperation`.
        #[allow(unused_mut)]
        let mut __oper: ::core::option::Option<$crate::channel::SelectedOperation<'_>> =
            ::core::option::Option::None;
        if __picked.is_none() {
            $crate::__wharf_select!(@wait $new __picked __oper [$($arm)*] $default);
        }
        // Every body is written once, here, whichever path picked its arm.
        $crate::__wharf_select!(@run_picked __picked __oper [$($arm)*] $default)
    }};
    (@biased new) => { false };
    (@biased new_biased) => { true };
    (@position ($kind:ident $h:ident $i:ident $slot:ident ($($pos:tt)*) $($rest:tt)*)) => {
        $($pos)*
    };

    // Nothing was ready: wait through a `Select`, and record what it picked (a receive's
    // result in its slot, a send's operation in `$oper`); `$picked` stays `None` when the
    // default is to run.
    (@wait $new:ident $picked:ident $oper:ident [$($arm:tt)*] []) => {{
        let mut __select = $crate::channel::Select::$new();
        $crate::__wharf_select!(@add __select $($arm)*);
        let __selected = __select.select();
        $crate::__wharf_select!(@record __selected $picked $oper $($arm)*);
    }};
    // The first pass is not one instant (see `Select::try_select`): confirm through a
    // `Select` before the default runs.
    (@wait $new:ident $picked:ident $oper:ident [$($arm:tt)*] [() $default:tt]) => {{
        let mut __select = $crate::channel::Select::$new();
        $crate::__wharf_select!(@add __select $($arm)*);
        if let ::core::result::Result::Ok(__selected) = __select.try_select() {
            $crate::__wharf_select!(@record __selected $picked $oper $($arm)*);
        }
    }};
    (@wait $new:ident $picked:ident $oper:ident [$($arm:tt)*] [($timeout:expr) $default:tt]) => {{
        let __timeout: ::std::time::Duration = $timeout;
        let mut __select = $crate::channel::Select::$new();
        $crate::__wharf_select!(@add __select $($arm)*);
        if let ::core::result::Result::Ok(__selected) = __select.select_timeout(__timeout) {
            $crate::__wharf_select!(@record __selected $picked $oper $($arm)*);
        }
    }};
    // An `if`/`else` chain, so that the operation moves in exactly one branch.
    (@record $selected:ident $picked:ident $oper:ident $(($kind:ident $h:ident $i:ident $slot:ident ($($pos:tt)*) $($rest:tt)*))*) => {{
        let __index = $selected.index();
        $(
            if __index == $i {
                $picked = ::core::option::Option::Some($($pos)*);
                $crate::__wharf_select!(@record_one $kind $h $slot $selected $oper);
            } else
        )*
        {
            ::core::unreachable!("select!: the selected index is one of the arms")
        }
    }};
    (@record_one recv $h:ident $slot:ident $selected:ident $oper:ident) => {
        $slot = ::core::option::Option::Some($selected.recv($h));
    };
    (@record_one send $h:ident $slot:ident $selected:ident $oper:ident) => {
        $oper = ::core::option::Option::Some($selected);
    };

    // Each channel expression, evaluated once (a temporary lives to the end of the select).
    (@handles $(($kind:ident $h:ident $i:ident $slot:ident $pos:tt ($c:expr) $m:tt $res:tt $body:tt))*) => {
        $( $crate::__wharf_select!(@handle $kind $h $c); )*
    };
    (@handle recv $h:ident $c:expr) => {
        let $h: &$crate::channel::Receiver<_, _> = &$c;
    };
    (@handle send $h:ident $c:expr) => {
        let $h: &$crate::channel::Sender<_, _> = &$c;
    };
    // What the first pass found for each arm: a receive's result, a send's readiness.
    (@slots $(($kind:ident $h:ident $i:ident $slot:ident $($rest:tt)*))*) => {
        $( let mut $slot = ::core::option::Option::None; )*
    };
    (@try $at:ident $picked:ident $(($kind:ident $h:ident $i:ident $slot:ident ($($pos:tt)*) $($rest:tt)*))*) => {
        $(
            if $picked.is_none() && $at == $($pos)* {
                $slot = $crate::__wharf_select!(@attempt $kind $h);
                if $slot.is_some() {
                    $picked = ::core::option::Option::Some($at);
                }
            }
        )*
    };
    (@attempt recv $h:ident) => { $h.__select_attempt() };
    (@attempt send $h:ident) => { $h.__select_ready().then_some(()) };
    // The picked arm's body (the default's if none was picked): an `if`/`else` chain, so
    // that a body's `break` or `continue` reaches the loop around the `select!`.
    (@run_picked $picked:ident $oper:ident [$(($kind:ident $h:ident $i:ident $slot:ident ($($pos:tt)*) $c:tt ($($m:expr)?) ($res:pat) ($body:expr)))*] $default:tt) => {{
        $(
            if $picked == ::core::option::Option::Some($($pos)*) {
                let $res = $crate::__wharf_select!(@complete $kind $h $slot $oper ($($m)?));
                $body
            } else
        )*
        {
            $crate::__wharf_select!(@default $default)
        }
    }};
    (@default []) => {
        ::core::unreachable!("select!: without a default, an arm is picked")
    };
    (@default [$timeout:tt ($default:expr)]) => {
        $default
    };
    (@complete recv $h:ident $slot:ident $oper:ident ()) => {
        $slot.expect("the picked receive has its result")
    };
    // The message is evaluated here only, once its arm is picked.
    (@complete send $h:ident $slot:ident $oper:ident ($m:expr)) => {{
        let __message = $m;
        match $oper.take() {
            ::core::option::Option::Some(__selected) => __selected.send($h, __message),
            ::core::option::Option::None => $h.send(__message),
        }
    }};
    (@add $sel:ident $(($kind:ident $h:ident $i:ident $slot:ident $pos:tt $c:tt $m:tt $res:tt $body:tt))*) => {
        $( let $i = $sel.$kind($h); )*
    };
}
