//! The property test of goal 1 ("never break a valid program"): generated function bodies compile
//! with `#[cancellable]` exactly when they compile without it.
//!
//! A small grammar of the shapes real code has (loops with and without `break`, blocks with and
//! without a value, `async` blocks spawned or awaited, with a value and `!`-typed, closures and
//! iterator adapters, macros with waits in their arguments, `select!`/`join!`) is drawn from by a
//! seeded generator. Every body is emitted twice into ONE file, `mod plain` and `mod annotated`,
//! that trybuild compiles as one `pass` case: one crate for all cases keeps the test as cheap as
//! one more ui test. Only valid programs are generated, so a failure is either the grammar's bug
//! (the `plain` module fails too) or the macro's (only `annotated` fails).
//!
//! The documented refusals are kept out by construction: every body ends with an `.await` of its
//! own, so that the never-silent error (all waits out of reach) does not apply.
//!
//! No shrinking: the cases compile together, and a failing one is named by rustc's error. Set
//! `AUTOCANCEL_GEN_SEED` to draw other bodies; the default seed is fixed, so CI is reproducible.

use std::fmt::Write as _;

/// How many functions of each flavour (async and blocking) are generated.
const CASES: usize = 24;

/// splitmix64: a deterministic generator with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Statements of an `async fn`'s own body (`depth` bounds the nesting).
fn async_stmt(rng: &mut Rng, depth: usize, out: &mut String) {
    let leaf = depth == 0;
    let pick = if leaf { rng.below(6) } else { rng.below(33) };
    match pick {
        0 => out.push_str("tick().await;\n"),
        1 => out.push_str("let _v: u32 = value().await;\n"),
        2 => out.push_str("println!(\"{}\", value().await);\n"),
        3 => out.push_str("assert_eq!(value().await, 1);\n"),
        4 => out.push_str("let _s = format!(\"{:?} {}\", value().await, 2);\n"),
        5 => out.push_str("let _ = vec![value().await, 2];\n"),
        6 => {
            out.push_str("loop {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("if flag() { break; }\n}\n");
        }
        7 => {
            out.push_str("for _i in 0..3 {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n");
        }
        8 => {
            out.push_str("while flag() {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n");
        }
        9 => {
            out.push_str("let _b: u32 = {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("7\n};\n");
        }
        10 => {
            out.push_str("let _l: u32 = loop {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("if flag() { break 3; }\n};\n");
        }
        11 => {
            // A `!`-typed block whose output is set by the handle's type.
            out.push_str(
                "let _h: tokio::task::JoinHandle<std::io::Result<()>> = \
                 tokio::spawn(async move {\nloop {\n",
            );
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n});\n");
        }
        12 => {
            // A `!`-typed block nothing constrains.
            out.push_str("let _h = tokio::spawn(async move {\nloop {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n});\n");
        }
        13 => {
            out.push_str("tokio::spawn(async move {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("});\n");
        }
        14 => {
            // A block with a value.
            out.push_str("let _h: tokio::task::JoinHandle<u8> = tokio::spawn(async move {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("5u8\n});\n");
        }
        15 => {
            out.push_str("let _x: u32 = async {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("3\n}.await;\n");
        }
        16 => {
            // Closures and iterator adapters: blocking statements inside.
            out.push_str("let _c = |x: u32| {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("x\n};\n");
        }
        17 => {
            out.push_str(
                "let _hs: Vec<_> = (0..3u32).map(|i| tokio::spawn(worker(i))).collect();\n",
            );
        }
        18 => {
            out.push_str("[1u32, 2].iter().for_each(|_| {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("});\n");
        }
        19 => {
            out.push_str("tokio::select! {\n_ = tick() => {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n_ = tick() => {}\n}\n");
        }
        20 => out.push_str("let (_a, _b) = tokio::join!(value(), value());\n"),
        21 => out.push_str(
            "let mut set = tokio::task::JoinSet::new();\nset.spawn(worker(1));\n\
             set.spawn_blocking(|| Ok(count()));\n",
        ),
        23 => {
            // A blocking closure with no value, and a never-typed one whose output is set.
            out.push_str("let _b = tokio::task::spawn_blocking(move || loop {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("if flag() { break; }\n});\n");
            out.push_str(
                "let _n: tokio::task::JoinHandle<std::io::Result<()>> = \
                 tokio::task::spawn_blocking(move || loop {\n",
            );
            blocking_stmt(rng, depth - 1, out);
            out.push_str("});\n");
        }
        24 => out.push_str(
            "let (_t, mut brx) = tokio::sync::mpsc::channel::<u8>(1);\n\
             let _ = tokio::task::spawn_blocking(move || brx.blocking_recv());\n",
        ),
        25 => {
            // Blocks with a value spawned in a closure: aborted at the cancellation.
            out.push_str(
                "let _hs: Vec<tokio::task::JoinHandle<u32>> = (0..2u32).map(|i| \
                 tokio::spawn(async move {\n",
            );
            async_stmt(rng, depth - 1, out);
            out.push_str("i\n})).collect();\n");
        }
        26 => {
            // A block with a value on a JoinSet (its `AbortHandle`), logging with a sigil.
            out.push_str(
                "let mut vset: tokio::task::JoinSet<u8> = tokio::task::JoinSet::new();\n\
                 vset.spawn(async move {\n",
            );
            async_stmt(rng, depth - 1, out);
            out.push_str("tracing::info!(x = ?1u8, \"v\");\n4u8\n});\n");
        }
        22 => {
            // A closure spawning a block with a loop: the block gets a scope of its own.
            out.push_str("(0..2u32).for_each(|_i| {\ntokio::spawn(async move {\nloop {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n});\n});\n");
        }
        27 => {
            // Blocks spelled `Result<_, E>` by their tail: `E` with `From<Cancelled>`, and `E`
            // without (run as written), awaited and spawned.
            out.push_str("let _r: std::io::Result<u32> = async {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("Ok::<_, std::io::Error>(3)\n}.await;\n");
        }
        28 => {
            out.push_str("let _r = async {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("let _: u32 = refused()?;\nOk::<u32, NoFrom>(3)\n}.await;\n");
        }
        29 => {
            out.push_str(
                "let _h: tokio::task::JoinHandle<Result<u8, NoFrom>> = \
                 tokio::spawn(async move {\n",
            );
            async_stmt(rng, depth - 1, out);
            out.push_str("Err::<u8, NoFrom>(NoFrom)\n});\n");
        }
        30 => {
            // A tail whose spelling says `()`.
            out.push_str("async {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str(
                "if flag() { std::future::pending::<()>().await } \
                 else { std::future::ready(()).await }\n}.await;\n",
            );
        }
        31 => {
            // The closures of awaited `poll_fn`s, with a loop: named and `_` parameters.
            out.push_str("let _p: u32 = std::future::poll_fn(|cx| {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str(
                "while flag() { cx.waker().wake_by_ref(); }\nstd::task::Poll::Ready(3)\n})\
                 .await;\nstd::future::poll_fn(|_| loop {\nif !flag() \
                 { break std::task::Poll::Ready(()); }\n}).await;\n",
            );
        }
        _ => {
            out.push_str("if flag() {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("} else {\n");
            async_stmt(rng, depth - 1, out);
            out.push_str("}\n");
        }
    }
}

/// Statements of a blocking body (a plain `fn`, or a closure).
fn blocking_stmt(rng: &mut Rng, depth: usize, out: &mut String) {
    let leaf = depth == 0;
    let pick = if leaf { rng.below(4) } else { rng.below(12) };
    match pick {
        11 => out.push_str(
            "let (_tx, mut trx) = tokio::sync::mpsc::channel::<u8>(1);\n\
             let _ = trx.blocking_recv();\nlet m = tokio::sync::Mutex::new(1u8);\n\
             let _g = m.blocking_lock();\n",
        ),
        10 => out.push_str(
            "let (_tx, rx) = std::sync::mpsc::channel::<u8>();\n\
             let _ = rx.recv_timeout(std::time::Duration::from_millis(1));\n",
        ),
        0 => out.push_str("std::thread::sleep(std::time::Duration::from_millis(1));\n"),
        1 => out.push_str("let _n = count();\n"),
        2 => out.push_str("println!(\"{}\", count());\n"),
        3 => out.push_str("assert!(count() < 10);\n"),
        4 => {
            out.push_str("loop {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("if flag() { break; }\n}\n");
        }
        5 => {
            out.push_str("for _i in 0..2 {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("}\n");
        }
        6 => {
            out.push_str("let _v: u32 = {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("4\n};\n");
        }
        7 => {
            out.push_str("let _w = (0..2u32).map(|i| {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("i + 1\n}).count();\n");
        }
        8 => {
            out.push_str("let _m = loop {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("break 2u8;\n};\n");
        }
        _ => {
            out.push_str("while flag() {\n");
            blocking_stmt(rng, depth - 1, out);
            out.push_str("}\n");
        }
    }
}

/// The functions, each drawn from `rng`, annotated or not.
fn functions(seed: u64, annotated: bool) -> String {
    let mut rng = Rng(seed);
    let attr = if annotated { "#[cancellable]\n" } else { "" };
    let mut out = String::new();
    for case in 0..CASES {
        let mut body = String::new();
        for _ in 0..1 + rng.below(3) {
            async_stmt(&mut rng, 3, &mut body);
        }
        let ret = [
            "Result<(), Cancelled>",
            "std::io::Result<()>",
            "()",
            "Option<u8>",
        ][rng.below(4)];
        let tail = match ret {
            "()" => "",
            "Option<u8>" => "Some(1)",
            _ => "Ok(())",
        };
        let _ = write!(
            out,
            "{attr}pub async fn case_async_{case}() -> {ret} {{\n{body}tick().await;\n{tail}\n}}\n\n"
        );
        let mut body = String::new();
        for _ in 0..1 + rng.below(3) {
            blocking_stmt(&mut rng, 3, &mut body);
        }
        let _ = write!(
            out,
            "{attr}pub fn case_blocking_{case}() -> Result<(), Cancelled> {{\n{body}\
             for _i in 0..1 {{}}\nOk(())\n}}\n\n"
        );
    }
    out
}

/// Writes the generated test file and returns its path.
pub fn write_case_file() -> std::path::PathBuf {
    let seed = std::env::var("AUTOCANCEL_GEN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let prelude = "#![allow(unused, unreachable_code, clippy::all)]\n\
        use autocancel::{cancellable, Cancelled};\n\
        async fn tick() {}\n\
        async fn value() -> u32 { 1 }\n\
        fn flag() -> bool { false }\n\
        fn count() -> u32 { 1 }\n\
        #[derive(Debug)]\n\
        struct NoFrom;\n\
        fn refused() -> Result<u32, NoFrom> { Ok(1) }\n\
        #[cancellable]\n\
        async fn worker(i: u32) -> Result<u32, Cancelled> { tick().await; Ok(i) }\n";
    let file = format!(
        "//! Generated by tests/ui/generate.rs, seed {seed}: each body plain and annotated.\n\
         {prelude}\nmod plain {{\nuse super::*;\n{}}}\n\nmod annotated {{\nuse super::*;\n{}}}\n\n\
         fn main() {{}}\n",
        functions(seed, false),
        functions(seed, true),
    );
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated_bodies");
    std::fs::create_dir_all(&dir).expect("a scratch folder under target/");
    let path = dir.join("generated_bodies.rs");
    std::fs::write(&path, file).expect("the generated file is written");
    path
}
