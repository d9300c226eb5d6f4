//! `evcxr_display` for the standard library's values (numbers, strings, vectors, options,
//! tuples, maps), printed with `Debug` as evcxr itself would print them.
//!
//! Why this exists: evcxr first compiles a cell's last expression as `(expr).evcxr_display()`
//! and, only if that fails to compile, compiles the cell a second time with a `Debug`
//! fallback. Without these impls every cell ending in `x` or `1 + 1` paid for two compiles,
//! and a cell such as `let x = 1 + 1; x` did not compile at all: rustc cannot call a method
//! on an integer of unknown type ("you must specify a type for this binding") when no type
//! offers the method. With an impl for each integer type it picks `i32`, as Rust does.
//!
//! `()` shows nothing, as `None` does in a Python notebook.

use super::display::EvcxrDisplay;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::io::Write;

/// `value`'s `Debug` form as a `text/plain` result in evcxr's content markers.
fn debug_content(value: &(impl Debug + ?Sized)) -> String {
    format!("EVCXR_BEGIN_CONTENT text/plain\n{value:?}\nEVCXR_END_CONTENT\n")
}

/// Prints the cell's result (evcxr reads it from stdout).
fn send_debug(value: &(impl Debug + ?Sized)) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = out.write_all(debug_content(value).as_bytes());
    let _ = out.flush();
}

macro_rules! debug_display {
    ($($t:ty),* $(,)?) => {
        $(impl EvcxrDisplay for $t {
            fn evcxr_display(&self) {
                send_debug(self);
            }
        })*
    };
}

debug_display!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char, str,
    String
);

macro_rules! debug_display_generic {
    ($([$($p:ident),+] $t:ty),* $(,)?) => {
        $(impl<$($p: Debug),+> EvcxrDisplay for $t {
            fn evcxr_display(&self) {
                send_debug(self);
            }
        })*
    };
}

debug_display_generic!(
    [T] Vec<T>,
    [T] VecDeque<T>,
    [T] [T],
    [T] Option<T>,
    [T] HashSet<T>,
    [T] BTreeSet<T>,
    [K, V] HashMap<K, V>,
    [K, V] BTreeMap<K, V>,
    [A, B] (A, B),
    [A, B, C] (A, B, C),
    [A, B, C, D] (A, B, C, D),
);

impl<T: Debug, const N: usize> EvcxrDisplay for [T; N] {
    fn evcxr_display(&self) {
        send_debug(self);
    }
}

impl EvcxrDisplay for () {
    fn evcxr_display(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cell `let x = 1 + 1; x` compiles: the integer's method call resolves (to `i32`).
    #[test]
    fn untyped_integer_and_float_resolve() {
        let x = 1 + 1;
        (x).evcxr_display();
        let y = 2.5;
        (y).evcxr_display();
        assert_eq!(x, 2_i32);
    }

    #[test]
    fn result_is_debug_text_in_content_markers() {
        assert_eq!(
            debug_content(&vec![1, 2]),
            "EVCXR_BEGIN_CONTENT text/plain\n[1, 2]\nEVCXR_END_CONTENT\n"
        );
        assert_eq!(
            debug_content("a"),
            "EVCXR_BEGIN_CONTENT text/plain\n\"a\"\nEVCXR_END_CONTENT\n"
        );
    }

    /// Compiles only if each of these last-expression shapes has an `evcxr_display`.
    // Written as evcxr writes them, `(expr).evcxr_display()`: for `()` that is `(())`.
    #[allow(clippy::double_parens)]
    #[test]
    fn containers_and_strings_have_a_display() {
        (vec![1.0f32, 2.0]).evcxr_display();
        ("text").evcxr_display();
        (Some((1, "a"))).evcxr_display();
        ([1u8; 3]).evcxr_display();
        (()).evcxr_display();
    }
}
