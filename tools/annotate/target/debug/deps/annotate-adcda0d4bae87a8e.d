/work/main/tools/annotate/target/debug/deps/annotate-adcda0d4bae87a8e.d: src/main.rs

/work/main/tools/annotate/target/debug/deps/libannotate-adcda0d4bae87a8e.rmeta: src/main.rs

src/main.rs:
