//! Helpers the CLI test binaries share: the binary under test, scratch
//! directories, the workspace's paths, and reading a command's outcome.
//!
//! Each test binary includes this module with `mod common;` and uses only
//! part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The freshly built `pgconform`, in CI mode (no live terminal display).
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pgconform"));
    c.env("CI", "1");
    c
}

/// Run `pgconform` with `args` and wait for it.
pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run pgconform")
}

/// A fresh, empty scratch directory named after the test binary, `name` and
/// this process.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "pgc-{}-{name}-{}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create temp dir");
    d
}

/// The workspace root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The reference kernel.
pub fn kernel() -> PathBuf {
    repo().join("kernel")
}

/// A command's exit code (-1 when a signal ended it).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A command's stderr, lossily decoded.
pub fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A command's stdout, lossily decoded.
pub fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A command's stdout followed by its stderr.
pub fn text(o: &Output) -> String {
    out(o) + &err(o)
}

/// A path as `&str`, for argument lists.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Assert that the command exited with `want`, showing its stderr if not.
#[track_caller]
pub fn assert_exit(o: &Output, want: i32) {
    assert_eq!(code(o), want, "{}", err(o));
}

/// Assert that the command's stderr contains `needle`.
#[track_caller]
pub fn assert_says(o: &Output, needle: &str) {
    let e = err(o);
    assert!(e.contains(needle), "expected `{needle}` in:\n{e}");
}

/// Assert that the command exited with `want` and that its stderr contains
/// `needle`: the usual "refused with this code, saying why".
#[track_caller]
pub fn assert_exit_says(o: &Output, want: i32, needle: &str) {
    assert_exit(o, want);
    assert_says(o, needle);
}

/// The arguments of `pgconform report merge` of `inputs` into `out`, with
/// `extra` flags.
pub fn merge_args<'a>(inputs: &[&'a Path], out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["report", "merge"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["-o", s(out)]);
    args.extend_from_slice(extra);
    args
}

/// Write `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write file");
}

/// Read and parse a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()))
}
