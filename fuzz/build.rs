//! Compiles the macro's own modules into the fuzz target (a proc-macro crate cannot export its
//! expansion function): every `macros/src/*.rs` except the proc-macro entry (`lib.rs`) and the
//! test-only modules (`*_tests.rs`), listed anew at each build so that new modules are picked up
//! (as `tools/annotate/build.rs` does).

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../macros/src");
    let src = fs::canonicalize(&src).expect("macros/src next to fuzz/");
    println!("cargo:rerun-if-changed={}", src.display());
    let mut names: Vec<String> = fs::read_dir(&src)
        .expect("read macros/src")
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".rs") && n != "lib.rs" && !n.ends_with("_tests.rs"))
        .collect();
    names.sort();
    let mut out = String::new();
    for name in &names {
        let module = name.trim_end_matches(".rs");
        let path = src.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "#[path = {:?}]\n#[allow(dead_code)]\nmod {module};",
            path.display().to_string()
        )
        .unwrap();
    }
    let dest = Path::new(&env::var("OUT_DIR").expect("OUT_DIR")).join("macro_modules.rs");
    fs::write(dest, out).expect("write macro_modules.rs");
}
