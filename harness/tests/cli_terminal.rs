//! What a person sees in the terminal: no panic on a closed pipe, each error
//! cause said once, plurals that agree with their count, `--help` with one
//! line and a default per flag, and (with tmux) a live display that does not
//! flood the scrollback.

mod common;

use common::bin;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(c: &mut Command) -> Output {
    c.output().expect("spawn pgconform")
}

/// Run `args` with the stream `closed` (stdout or stderr) a pipe whose
/// reading end is closed before pgconform writes anything.
fn with_closed_pipe(args: &[&str], closed_stdout: bool) -> Output {
    let mut c = bin();
    c.args(args).stdin(Stdio::null());
    if closed_stdout {
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
    } else {
        c.stdout(Stdio::null()).stderr(Stdio::piped());
    }
    let mut child = c.spawn().expect("spawn pgconform");
    if closed_stdout {
        drop(child.stdout.take());
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
            .expect("read stderr");
        let status = child.wait().expect("wait");
        Output {
            status,
            stdout: Vec::new(),
            stderr: err.into_bytes(),
        }
    } else {
        drop(child.stderr.take());
        let status = child.wait().expect("wait");
        Output {
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }
}

#[test]
fn list_into_a_closed_pipe_ends_quietly() {
    let o = with_closed_pipe(&["list"], true);
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn list_into_head_keeps_the_first_line_and_exits_zero() {
    let o = run(Command::new("bash").args([
        "-c",
        &format!(
            "CI=1 '{}' list | head -1; echo \"exit=${{PIPESTATUS[0]}}\"",
            env!("CARGO_BIN_EXE_pgconform")
        ),
    ]));
    let out = text(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("SUT-"), "{out}");
    assert_eq!(lines[1], "exit=0", "{out}");
    assert!(!text(&o.stderr).contains("panicked"), "{}", text(&o.stderr));
}

#[test]
fn json_list_and_help_into_a_closed_pipe_do_not_panic() {
    for args in [
        &["list", "--format", "json"][..],
        &["report", "schema"],
        &["run", "--help"],
    ] {
        let o = with_closed_pipe(args, true);
        let err = text(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn gate_with_stderr_closed_does_not_panic() {
    // The gate speaks on stderr; a missing report is a usage error (2).
    let o = with_closed_pipe(&["gate", "/nonexistent/report.json"], false);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn an_error_says_its_cause_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pack = dir.path().join("bad.json");
    std::fs::write(
        &pack,
        r#"{"format":"cpo.evidence_pack/v1","agent_id":"00000000-0000-0000-0000-000000000000","artifacts":{"x":[5]}}"#,
    )
    .expect("write pack");
    let p = pack.display().to_string();
    let o = run(bin().args(["pack", "diff", &p, &p]));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(
        err.matches("malformed pack at artifacts.x[0]").count(),
        1,
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn list_columns_line_up_and_counts_agree_with_their_noun() {
    let o = run(bin().arg("list"));
    let out = text(&o.stdout);
    assert!(o.status.success());
    assert!(!out.contains(" 1 cases"), "{out}");
    assert!(out.contains(" 1 case "), "{out}");
    // Every column starts at the same offset on every line: the title (the
    // last column) starts after the same prefix width.
    let starts: Vec<usize> = out
        .lines()
        .map(|l| {
            let after_seed = l.find(']').expect("a [seed] column") + 1;
            l.len() - l[after_seed..].trim_start().len()
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{out}");
}

#[test]
fn a_one_case_run_says_case_and_invariant_in_the_singular() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = run(bin().args([
        "run",
        "--invariant",
        "SUT-REINSTALL",
        "--cases",
        "1",
        "--seed",
        "1",
        "--out",
        &dir.path().display().to_string(),
    ]));
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("pgconform: 1 invariant, seed 1, backend embedded"),
        "{err}"
    );
    assert!(err.contains(" 1 case "), "{err}");
    assert!(
        !err.contains(" 1 cases") && !err.contains(" 1 invariants"),
        "{err}"
    );
    assert!(err.contains(" 0 errors,"), "{err}");
    assert!(
        err.contains("report.html"),
        "the summary names report.html: {err}"
    );
}

/// `pgconform <cmd> --help`: one line per flag, and every flag that takes a
/// value says its default (or that it has none / is required).
#[test]
fn help_lists_every_flag_on_one_line_with_its_default() {
    let commands: &[&[&str]] = &[
        &["run"],
        &["list"],
        &["setup"],
        &["check"],
        &["gate"],
        &["mutants"],
        &["variants"],
        &["replay"],
        &["keygen"],
        &["pack", "verify"],
        &["pack", "diff"],
        &["report", "merge"],
        &["report", "render"],
        &["report", "verify"],
    ];
    for cmd in commands {
        let o = run(bin().args(*cmd).arg("--help"));
        let out = text(&o.stdout);
        assert!(o.status.success(), "{cmd:?}: {}", text(&o.stderr));
        let options = out
            .split("Options:")
            .nth(1)
            .unwrap_or_else(|| panic!("{cmd:?}: no Options section:\n{out}"));
        for line in options.lines().filter(|l| !l.trim().is_empty()) {
            assert!(
                line.trim_start().starts_with('-'),
                "{cmd:?}: a flag's help spans more than one line: {line:?}\n{out}"
            );
            let takes_value = line.contains(" <") || line.contains(" [<");
            let says_default = [
                "[default",
                "(default",
                "(required)",
                "(repeatable)",
                "[env:",
            ]
            .iter()
            .any(|m| line.contains(m));
            assert!(
                !takes_value || says_default,
                "{cmd:?}: a flag with a value does not say its default: {line:?}"
            );
        }
    }
    let run_help = text(&run(bin().args(["run", "--help"])).stdout);
    for want in ["--jobs <N>", "[default: 120s]", "[default: pgconform-out]"] {
        assert!(run_help.contains(want), "{want}: {run_help}");
    }
}

/// Under tmux at 80x24, a run's live display leaves in the scrollback only
/// its lines (header, one per finished invariant, summary): no redrawn rows,
/// no proptest text. Needs tmux.
#[test]
fn prereq_tmux_live_progress_does_not_flood_the_scrollback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = format!("pgc-term-{}", std::process::id());
    let signal = format!("{session}-done");
    let cmd = format!(
        "env -u CI '{}' run --suite gates --cases 2 --seed 3 --out '{}'; tmux wait-for -S {signal}; sleep 600",
        env!("CARGO_BIN_EXE_pgconform"),
        dir.path().display()
    );
    let started = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "80",
            "-y",
            "24",
            &cmd,
        ])
        .status()
        .expect("tmux must be installed for this test");
    assert!(started.success());
    let waited = Command::new("tmux").args(["wait-for", &signal]).status();
    let pane = Command::new("tmux")
        .args(["capture-pane", "-p", "-S", "-", "-t", &session])
        .output();
    let _ = Command::new("tmux")
        .args(["kill-session", "-t", &session])
        .status();
    assert!(waited.expect("tmux wait-for").success());
    let pane = text(&pane.expect("capture-pane").stdout);
    let lines: Vec<&str> = pane.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!pane.to_lowercase().contains("proptest"), "{pane}");
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("[pass]")).count(),
        7,
        "{pane}"
    );
    assert!(lines.iter().any(|l| l.ends_with(" 7/7")), "{pane}");
    // Two header lines (the first may wrap at 80 columns), seven results, the
    // summary and the report line: nothing redrawn into the scrollback.
    assert!(lines.len() <= 12, "{} lines:\n{pane}", lines.len());
    assert!(Path::new(&dir.path().join("report.html")).exists());
}
