//! The `pgconform` binary end to end on real PostgreSQL 16: green runs, clear
//! environment errors (exit 2), and no leaks after normal ends, Ctrl-C and
//! SIGKILL.

mod common;

use common::{assert_exit, assert_exit_says, bin, code, err, out, run, s, text, tmp};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn runs_root() -> PathBuf {
    pgconform::provision::embedded::runs_root()
}

/// Run directories owned by process `pid`.
fn run_dirs_of(pid: u32) -> Vec<PathBuf> {
    std::fs::read_dir(runs_root())
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&format!("run-{pid}-")))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn postgres_running_in(dir: &Path) -> bool {
    let needle = dir.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .map(|rd| {
            rd.filter_map(Result::ok).any(|e| {
                std::fs::read(e.path().join("cmdline"))
                    .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                    .unwrap_or(false)
            })
        })
        .unwrap_or(false)
}

/// Start a long run and wait until its server is ready.
fn start_long_run(out: &Path) -> Child {
    start_long_run_of(out, "SUT-CLOCK", false)
}

/// Start a long run of `id`, optionally as the leader of its own process
/// group (as a shell starts a foreground job), and wait until it is ready.
fn start_long_run_of(out: &Path, id: &str, group_leader: bool) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = bin();
    if group_leader {
        cmd.process_group(0);
    }
    let mut child = cmd
        .args([
            "run",
            "--invariant",
            id,
            "--cases",
            "1000000",
            "--seed",
            "3",
            "--jobs",
            "1",
            "--out",
        ])
        .arg(out)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn pgconform");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = lines
            .next()
            .expect("pgconform ended before its server was ready")
            .expect("read");
        if line.contains("server ready") {
            break;
        }
        assert!(Instant::now() < deadline, "server not ready in time");
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    std::thread::sleep(Duration::from_millis(300));
    child
}

/// Run `pgconform` with `args`, then `--out` and a fresh scratch directory
/// named `out`, and wait for it.
fn run_into(args: &[&str], out: &str) -> Output {
    bin()
        .args(args)
        .args(["--out", s(&tmp(out))])
        .output()
        .expect("run pgconform")
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code();
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("pgconform did not exit within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn foundation_run_is_green_reports_and_leaves_nothing() {
    let out = tmp("green");
    let child = bin()
        .args([
            "run",
            "--suite",
            "foundation",
            "--cases",
            "2",
            "--seed",
            "11",
            "--out",
        ])
        .arg(&out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let text = std::fs::read_to_string(out.join("report.json")).expect("report.json");
    let report: pgconform_reports::RunReport = serde_json::from_str(&text).expect("parse report");
    assert!(report.integrity_ok(), "report integrity hash must verify");
    assert_eq!(report.seed, 11);
    assert!(
        report.server.version.starts_with("PostgreSQL 16"),
        "{}",
        report.server.version
    );
    assert!(report
        .results
        .iter()
        .all(|r| r.verdict == pgconform_reports::Verdict::Passed));
    assert!(report
        .sut
        .files
        .iter()
        .any(|f| f.path == "sql/000_base.sql" && f.sha256.len() == 64));
    assert!(run_dirs_of(pid).is_empty(), "cluster dir left behind");
}

#[test]
fn unreachable_dsn_is_an_environment_error() {
    let o = run_into(
        &[
            "run",
            "--backend",
            "dsn",
            "--dsn",
            "postgres://postgres@127.0.0.1:1/postgres",
            "--suite",
            "foundation",
        ],
        "dsn",
    );
    assert_exit_says(&o, 2, "cannot connect to the server");
}

#[test]
fn malformed_dsn_is_a_usage_error() {
    let o = run_into(
        &["run", "--backend", "dsn", "--dsn", "postgres://[::"],
        "baddsn",
    );
    assert_exit_says(&o, 2, "invalid --dsn");
}

#[test]
fn unknown_invariant_and_suite_are_usage_errors() {
    for args in [["--invariant", "NOPE-1"], ["--suite", "nonsense"]] {
        let o = bin().arg("run").args(args).output().expect("run");
        assert_exit_says(&o, 2, "unknown");
    }
}

fn write_sut(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = tmp(name);
    std::fs::create_dir_all(dir.join("sql")).expect("mkdir");
    let mut manifest = String::from("# test SUT\n");
    for (path, sql) in files {
        std::fs::write(dir.join(path), sql).expect("write sql");
        manifest.push_str(&format!("install {path}\n"));
    }
    std::fs::write(dir.join("MANIFEST"), manifest).expect("write manifest");
    dir
}

/// `pgconform run` of `suite` on the SUT at `sut`, into the scratch dir `out`.
fn run_suite_on(sut: &Path, suite: &str, out: &str) -> Output {
    run_into(&["run", "--suite", suite, "--sut", s(sut)], out)
}

#[test]
fn broken_sql_is_reported_with_file_and_line() {
    let sut = write_sut(
        "broken",
        &[
            ("sql/000_ok.sql", "CREATE SCHEMA ok_schema;\n"),
            (
                "sql/010_broken.sql",
                "-- a comment\nCREATE TABLE t (a int);\nCREATE TABLE u (b nosuchtype);\n",
            ),
        ],
    );
    let o = run_suite_on(&sut, "foundation", "broken-out");
    assert_exit(&o, 2);
    let e = err(&o);
    assert!(e.contains("sql/010_broken.sql:3:"), "{e}");
    assert!(e.contains("42704"), "SQLSTATE of the failure: {e}");
}

#[test]
fn missing_contract_names_are_listed() {
    let sut = write_sut(
        "nocontract",
        &[("sql/000_empty.sql", "CREATE SCHEMA cpo;\n")],
    );
    let o = run_suite_on(&sut, "durability", "nocontract-out");
    assert_exit(&o, 2);
    let e = err(&o);
    assert!(e.contains("missing function public.kernel_now()"), "{e}");
    assert!(
        e.contains("missing function cpo.commit_action(text,jsonb,jsonb,uuid,uuid)"),
        "{e}"
    );
    assert!(e.contains("missing table cpo.cpo_decisions"), "{e}");
}

#[test]
fn missing_sut_manifest_is_a_clear_error() {
    let o = run_into(&["run", "--sut", "/nonexistent/kernel"], "nosut");
    assert_exit_says(&o, 2, "/nonexistent/kernel/MANIFEST");
}

/// Send SIGINT to the running `child` (to its whole process group if
/// `group`, after `after`) and assert that it exits 2 within `within_s`
/// seconds, leaving no cluster directory and no postgres behind.
fn ctrl_c_ends_it_cleanly(child: &mut Child, group: bool, after: Duration, within_s: u64) {
    let pid = child.id();
    let dirs = run_dirs_of(pid);
    assert_eq!(dirs.len(), 1, "one cluster while running");
    std::thread::sleep(after);
    let raw = i32::try_from(pid).expect("pid fits i32");
    let target = if group { -raw } else { raw };
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(target),
        nix::sys::signal::Signal::SIGINT,
    )
    .expect("send SIGINT");
    assert_eq!(wait_exit(child, Duration::from_secs(within_s)), Some(2));
    assert!(run_dirs_of(pid).is_empty(), "cluster dir left after Ctrl-C");
    assert!(
        !postgres_running_in(&dirs[0]),
        "postgres left running after Ctrl-C"
    );
}

/// A terminal's Ctrl-C signals the whole foreground process group: the run
/// stops (exit 2), records no kernel failure and no case file, and leaves
/// nothing running.
#[test]
fn ctrl_c_to_the_process_group_records_no_failure() {
    let out = tmp("sigint-group");
    let mut child = start_long_run_of(&out, "DUR-DETERMINISM", true);
    ctrl_c_ends_it_cleanly(&mut child, true, Duration::from_millis(1500), 60);
    let report = std::fs::read_to_string(out.join("report.json")).expect("a partial report");
    let v: serde_json::Value = serde_json::from_str(&report).expect("report JSON");
    for r in v["results"].as_array().expect("results") {
        assert_ne!(
            r["verdict"], "failed",
            "an interruption recorded a failure: {r}"
        );
    }
    let cases = std::fs::read_dir(out.join("cases"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(cases, 0, "an interruption wrote a case file");
}

#[test]
fn ctrl_c_stops_cleans_up_and_exits_2() {
    let out = tmp("sigint");
    let mut child = start_long_run(&out);
    ctrl_c_ends_it_cleanly(&mut child, false, Duration::ZERO, 40);
    assert!(
        out.join("report.json").is_file(),
        "a partial report is written"
    );
}

#[test]
fn sigkilled_run_is_reaped_by_the_next_run() {
    let mut child = start_long_run(&tmp("sigkill"));
    let pid = child.id();
    let dirs = run_dirs_of(pid);
    assert_eq!(dirs.len(), 1);
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert!(
        dirs[0].exists(),
        "a SIGKILLed run cannot clean up after itself"
    );
    assert!(postgres_running_in(&dirs[0]), "its postmaster is orphaned");
    let o = run_into(&["run", "--invariant", "SUT-SEARCH-PATH"], "reaper");
    assert_exit_says(&o, 0, "reaped orphaned cluster");
    assert!(!dirs[0].exists(), "orphan dir reaped");
    let deadline = Instant::now() + Duration::from_secs(10);
    while postgres_running_in(&dirs[0]) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!postgres_running_in(&dirs[0]), "orphan postmaster stopped");
}

#[test]
fn dsn_backend_creates_and_drops_only_its_own_databases() {
    let cluster =
        pgconform::provision::embedded::Cluster::start(None, false).expect("start cluster");
    let mut cfg = cluster.config();
    cfg.dbname("postgres");
    let mut client = cfg.connect(postgres::NoTls).expect("connect");
    client
        .batch_execute("CREATE DATABASE users_own_db")
        .expect("create");
    let list = |c: &mut postgres::Client| -> Vec<String> {
        c.query("SELECT datname FROM pg_database ORDER BY 1", &[])
            .expect("list")
            .into_iter()
            .map(|r| r.get(0))
            .collect()
    };
    let before = list(&mut client);
    let host = cfg.get_hosts()[0].clone();
    let postgres::config::Host::Unix(path) = host else {
        panic!("unix socket expected")
    };
    let dsn = format!(
        "host={} port=5432 user=postgres dbname=postgres",
        path.display()
    );
    let o = run_into(
        &[
            "run",
            "--backend",
            "dsn",
            "--dsn",
            &dsn,
            "--suite",
            "foundation",
            "--cases",
            "2",
        ],
        "dsn-ok",
    );
    assert_exit(&o, 0);
    assert_eq!(
        list(&mut client),
        before,
        "the dsn run must leave exactly the databases it found"
    );
}

/// Needs a Docker engine and the default image (`pgconform setup --backend
/// docker` provides both): skipped by the default nextest profile, run by
/// `--profile ci`, where a missing engine or image fails saying which.
#[test]
fn prereq_docker_backend_runs_and_removes_its_container() {
    use pgconform::provision::docker;
    if let Err(e) = docker::engine_version() {
        panic!(
            "no Docker engine answers `docker info` ({e}): `pgconform setup --backend docker` \
             starts one (or run without --profile ci)"
        );
    }
    assert!(
        docker::image_id(docker::DEFAULT_IMAGE).is_some(),
        "the docker backend's default image {} is missing: `pgconform setup --backend docker` \
         pulls it, or builds it from the PostgreSQL 16 binaries when no registry answers",
        docker::DEFAULT_IMAGE
    );
    let o = run_into(
        &[
            "run",
            "--backend",
            "docker",
            "--suite",
            "foundation",
            "--cases",
            "1",
            "--seed",
            "5",
        ],
        "docker",
    );
    assert_exit(&o, 0);
    let ps = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=org.pgconform.owner"])
        .output()
        .expect("docker ps");
    assert!(
        String::from_utf8_lossy(&ps.stdout).trim().is_empty(),
        "container left behind"
    );
}

#[test]
fn pack_verify_and_diff_judge_real_kernel_exports_offline() {
    let sb = pgconform::testkit::sandbox(None).expect("kernel sandbox");
    let mut db = sb.fresh_db().expect("fresh db");
    let agent = "5b0c1e7e-0000-4000-8000-000000000001";
    db.batch_execute(&format!(
        "SELECT cpo.commit_action('decide', '{{\"n\": 1}}'::jsonb, \
           '{{\"cpo_decisions\": [{{\"d\": 1.50, \"k\": \"é\\\\n\"}}, {{\"d\": 2}}]}}'::jsonb, \
           '{agent}'::uuid, gen_random_uuid())"
    ))
    .expect("commit_action");
    // As text: serde_json would turn 1.50 into 1.5 and so edit the pack.
    let pack_text: String = db
        .query_one(
            &format!("SELECT cpo.export_evidence_pack('{agent}'::uuid)::text"),
            &[],
        )
        .expect("export")
        .get(0);
    let dir = tmp("pack");
    let a = dir.join("a.json");
    std::fs::write(&a, &pack_text).expect("write a");

    let o = run(&["pack", "verify", s(&a)]);
    assert_eq!(code(&o), 0, "{}", text(&o));

    // Edit one JSON value of one row, byte-exactly: its declared digest no
    // longer matches.
    assert!(pack_text.contains("{\"d\": 2}"), "{pack_text}");
    let tampered = pack_text.replacen("{\"d\": 2}", "{\"d\": 3}", 1);
    let b = dir.join("b.json");
    std::fs::write(&b, tampered).expect("write b");
    let o = run(&["pack", "verify", s(&b)]);
    assert_eq!(o.status.code(), Some(1), "a tampered pack must not verify");

    let o = run(&["pack", "diff", s(&a), s(&a)]);
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["pack", "diff", s(&a), s(&b)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("cpo_decisions"));

    let bad = dir.join("bad.json");
    std::fs::write(&bad, b"{\"format\": 1").expect("write bad");
    let o = run(&["pack", "verify", s(&bad)]);
    assert_eq!(o.status.code(), Some(2), "a corrupt pack is an input error");
}

/// PostgreSQL binaries of another major version (CI extracts Debian's
/// PostgreSQL 15 with `scripts/other-major/fetch-pg15.sh` and points
/// `PGCONFORM_TEST_OTHER_MAJOR_BIN` at them).
fn other_major_bin() -> PathBuf {
    let dir = std::env::var_os("PGCONFORM_TEST_OTHER_MAJOR_BIN").unwrap_or_else(|| {
        panic!(
            "PGCONFORM_TEST_OTHER_MAJOR_BIN is not set: point it at PostgreSQL 15 binaries \
             (PGCONFORM_TEST_OTHER_MAJOR_BIN=$(scripts/other-major/fetch-pg15.sh)), or run \
             without --profile ci"
        )
    });
    let dir = PathBuf::from(dir);
    assert!(
        dir.join("postgres").is_file(),
        "PGCONFORM_TEST_OTHER_MAJOR_BIN={} holds no postgres binary",
        dir.display()
    );
    dir
}

/// Needs PostgreSQL 15 binaries: skipped by the default nextest profile
/// (shown as SKIP), run by `--profile ci`.
#[test]
fn prereq_pg15_another_major_version_is_refused_unless_allowed_and_then_reported() {
    let other = other_major_bin();
    let run = |extra: &[&str], out: &Path| {
        bin()
            .env("PG_BIN", &other)
            .args([
                "run",
                "--invariant",
                "SUT-CLOCK",
                "--cases",
                "1",
                "--seed",
                "3",
                "--out",
            ])
            .arg(out)
            .args(extra)
            .output()
            .expect("run")
    };
    let refused_out = tmp("other-major-refused");
    let o = run(&[], &refused_out);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let said = err(&o);
    assert!(
        said.contains("not PostgreSQL 16") && said.contains("--allow-any-major"),
        "{said}"
    );
    assert_eq!(
        said.matches("not PostgreSQL 16").count(),
        1,
        "the reason is said once: {said}"
    );

    let allowed_out = tmp("other-major-allowed");
    let o = run(&["--allow-any-major"], &allowed_out);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let report: serde_json::Value = serde_json::from_slice(
        &std::fs::read(allowed_out.join("report.json")).expect("report.json"),
    )
    .expect("report is JSON");
    let num = report["server"]["version_num"].as_i64().unwrap_or(0);
    assert!(num > 0 && num / 10000 != 16, "{}", report["server"]);
    assert!(
        report["server"]["version_note"]
            .as_str()
            .is_some_and(|n| n.contains("not PG16 conformance")),
        "{}",
        report["server"]
    );
    // The release gate refuses such a report, naming the server.
    let g = bin()
        .arg("gate")
        .arg(allowed_out.join("report.json"))
        .output()
        .expect("gate");
    assert_eq!(g.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&g.stdout).contains("not PostgreSQL 16")
            || err(&g).contains("not PostgreSQL 16"),
        "{}",
        err(&g)
    );
}

/// The reference kernel copied with its files' numbers stripped
/// (`sql/210_drift_x.sql` → `sql/drift_x.sql`), MANIFEST rewritten to match,
/// its `uninstall-reverses` line kept or dropped.
fn renumbered_kernel(name: &str, keep_reverses: bool) -> PathBuf {
    let src = pgconform::sut::bundled_kernel_dir();
    let dir = tmp(name);
    std::fs::create_dir_all(dir.join("sql")).expect("mkdir");
    let strip = |p: &str| -> String {
        let (folder, base) = p.rsplit_once('/').unwrap_or(("", p));
        let base = base.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
        format!("{folder}/{base}")
    };
    let manifest = std::fs::read_to_string(src.join("MANIFEST")).expect("MANIFEST");
    let mut out = String::new();
    for line in manifest.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.starts_with("uninstall-reverses") && !keep_reverses {
            continue;
        }
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| {
                if w.starts_with("sql/") {
                    let new = strip(w);
                    std::fs::copy(src.join(w), dir.join(&new)).expect("copy sql");
                    new
                } else {
                    w.to_owned()
                }
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    std::fs::write(dir.join("MANIFEST"), out).expect("write MANIFEST");
    dir
}

#[test]
fn a_kernel_numbered_its_own_way_is_judged_by_its_declared_uninstall_slice() {
    let run = |sut: &Path, out: &str| {
        run_into(
            &[
                "run",
                "--invariant",
                "DRIFT-REVERSAL",
                "--cases",
                "3",
                "--seed",
                "4",
                "--sut",
                s(sut),
            ],
            out,
        )
    };
    let declared = renumbered_kernel("renumbered", true);
    let o = run(&declared, "renumbered-out");
    assert_exit(&o, 0);

    // Without the declaration nothing says what `uninstall` reverses: an
    // environment error naming the directive, not a verdict.
    let undeclared = renumbered_kernel("renumbered-undeclared", false);
    let o = run(&undeclared, "renumbered-undeclared-out");
    assert_exit(&o, 2);
    let all = text(&o);
    assert!(all.contains("uninstall-reverses"), "{all}");

    // A declaration naming a file the manifest does not install.
    let bad = renumbered_kernel("renumbered-bad", true);
    let manifest = std::fs::read_to_string(bad.join("MANIFEST")).expect("MANIFEST");
    let manifest = manifest.replace(
        "uninstall-reverses sql/drift_manifest_tables.sql",
        "uninstall-reverses sql/nope.sql",
    );
    std::fs::write(bad.join("MANIFEST"), manifest).expect("write");
    let o = run(&bad, "renumbered-bad-out");
    assert_exit(&o, 2);
    assert!(
        err(&o).contains("MANIFEST:") && err(&o).contains("sql/nope.sql"),
        "{}",
        err(&o)
    );
}
