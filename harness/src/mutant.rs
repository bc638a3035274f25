//! Mutants: deliberately broken kernels the harness must kill.
//!
//! A mutant is one SQL file run as superuser right after the kernel installs,
//! with a header:
//!
//! ```sql
//! -- mutant: export-skips-drift-resolutions
//! -- kills: DUR-RT, DUR-WIRING
//! -- why: the export iterates a hand-written list instead of the registry
//! ```
//!
//! [`run_mutant`] installs one mutant on its own server, runs the invariants
//! its header names first and then the rest of their suites, and stops at the
//! first kill. A mutant changes a kernel function through
//! [`patch`]'s `pg_temp.pgconform_patch`, so an anchor the kernel no longer
//! has makes it install-broken instead of silently stale.

pub mod patch;

use crate::casefile::{case_mutant, CaseFile};
use crate::provision::ProvisionOptions;
use crate::sandbox::PrepareError;
use crate::session::{Session, SessionError};
use crate::sql_files::Unreadable;
use pgconform_reports::{
    FailureRecord, InvariantResult, MutantOutcome, MutantStatus, RunReport, TriedInvariant, Verdict,
};
use pgconform_scenarios::invariant::{Invariant, RunContext, ShrinkPolicy, Suite};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

/// The parsed header of a mutant file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MutantHeader {
    /// `-- mutant:` name.
    pub name: String,
    /// `-- kills:` invariant IDs, in order.
    pub kills: Vec<String>,
    /// `-- why:` text.
    pub why: String,
}

/// A mutant file that cannot be used (a usage error naming the file).
#[derive(Debug, thiserror::Error)]
pub enum MutantError {
    /// Cannot read the file or directory.
    #[error(transparent)]
    Read(#[from] Unreadable),
    /// The header is missing a line or malformed.
    #[error("{path}: invalid mutant header: {message} (expected `-- mutant: NAME`, `-- kills: ID, ...`, `-- why: TEXT` as the first comment lines)")]
    Header {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `-- kills:` names an invariant that does not exist.
    #[error("{path}: `-- kills:` names unknown invariant {id} (see `pgconform list`)")]
    UnknownInvariant {
        /// The file.
        path: PathBuf,
        /// The ID.
        id: String,
    },
    /// No mutant files found.
    #[error("no mutant files (*.sql) under {0}")]
    Empty(PathBuf),
}

/// Parse the header of mutant `path` with content `text`. The header is the
/// leading block of `--` comment lines; `mutant`, `kills` and `why` must each
/// appear exactly once.
pub fn parse_header(path: &Path, text: &str) -> Result<MutantHeader, MutantError> {
    let bad = |message: String| MutantError::Header {
        path: path.to_path_buf(),
        message,
    };
    let mut h = crate::header::parse(text, "--", &["mutant", "kills", "why"]).map_err(bad)?;
    let mut take = |k: &str| h.remove(k).unwrap_or_default();
    let (name, kills_line, why) = (take("mutant"), take("kills"), take("why"));
    crate::header::check_name("mutant", &name).map_err(bad)?;
    let kills: Vec<String> = kills_line
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if kills.is_empty() {
        return Err(bad("`-- kills:` lists no invariant".to_owned()));
    }
    Ok(MutantHeader { name, kills, why })
}

/// A mutant file with its header.
#[derive(Debug, Clone)]
pub struct MutantFile {
    /// The file.
    pub path: PathBuf,
    /// Its header.
    pub header: MutantHeader,
    /// sha256 of its content.
    pub sha256: String,
}

/// Every `*.sql` under `dir` (recursively, sorted by path), with parsed
/// headers whose `kills` are checked with `known`.
pub fn discover(dir: &Path, known: impl Fn(&str) -> bool) -> Result<Vec<MutantFile>, MutantError> {
    let files = crate::sql_files::find(dir, |_| false)?;
    if files.is_empty() {
        return Err(MutantError::Empty(dir.to_path_buf()));
    }
    let mut out = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|source| Unreadable {
            path: path.clone(),
            source,
        })?;
        let text = String::from_utf8_lossy(&bytes);
        let header = parse_header(&path, &text)?;
        if let Some(id) = header.kills.iter().find(|id| !known(id)) {
            return Err(MutantError::UnknownInvariant {
                path: path.clone(),
                id: id.clone(),
            });
        }
        out.push(MutantFile {
            sha256: crate::casefile::sha256_hex(&bytes),
            path,
            header,
        });
    }
    Ok(out)
}

/// The invariants to try on a mutant, in order: its `kills` first (header
/// order), then every other invariant of their suites (registry order).
pub fn plan<'a>(header: &MutantHeader, all: &'a [Box<dyn Invariant>]) -> Vec<&'a dyn Invariant> {
    let mut suites: Vec<Suite> = Vec::new();
    let mut order: Vec<&dyn Invariant> = Vec::new();
    for id in &header.kills {
        if let Some(inv) = all.iter().find(|i| i.meta().id == id) {
            if !suites.contains(&inv.meta().suite) {
                suites.push(inv.meta().suite);
            }
            if !order.iter().any(|o| o.meta().id == inv.meta().id) {
                order.push(inv.as_ref());
            }
        }
    }
    for inv in all {
        if suites.contains(&inv.meta().suite) && !order.iter().any(|o| o.meta().id == inv.meta().id)
        {
            order.push(inv.as_ref());
        }
    }
    order
}

/// How mutants are run.
#[derive(Debug, Clone)]
pub struct MutantRunOptions {
    /// The SUT directory.
    pub sut_dir: PathBuf,
    /// Server provisioning.
    pub provision: ProvisionOptions,
    /// Cases per invariant (`None`: each invariant's default).
    pub cases: Option<u32>,
    /// Run seed.
    pub seed: u64,
    /// Shrinking of the killing counterexample.
    pub shrink: ShrinkPolicy,
    /// Where case files go (`OUT/cases`).
    pub cases_dir: PathBuf,
}

/// Run one mutant on its own server; never panics on environment errors.
pub fn run_mutant(
    m: &MutantFile,
    all: &[Box<dyn Invariant>],
    opts: &MutantRunOptions,
    cancel: &AtomicBool,
) -> MutantOutcome {
    let started = Instant::now();
    let mut out = MutantOutcome::untried(
        m.header.name.clone(),
        m.path.display().to_string(),
        m.sha256.clone(),
        m.header.kills.clone(),
        m.header.why.clone(),
    );
    let order = plan(&m.header, all);
    let mut suites: Vec<Suite> = order.iter().map(|i| i.meta().suite).collect();
    suites.sort();
    suites.dedup();
    let ids: Vec<&str> = order.iter().map(|i| i.meta().id).collect();
    let session =
        match Session::prepare_for(&opts.sut_dir, Some(&m.path), &opts.provision, &suites, &ids) {
            Ok(s) => s,
            Err(e) => {
                out.status = match &e {
                    SessionError::Prepare(PrepareError::Install(_))
                    | SessionError::Contract { .. } => MutantStatus::InstallBroken,
                    _ => MutantStatus::Error,
                };
                out.error = Some(e.to_string());
                out.duration_ms = ms(started);
                return out;
            }
        };
    let errors = try_until_killed(&session, &order, m, opts, cancel, &mut out);
    if out.status == MutantStatus::Survived && !errors.is_empty() {
        // Something could not be checked: the survival is not established.
        out.status = MutantStatus::Error;
        out.error = Some(errors.join("; "));
    }
    drop(session);
    out.duration_ms = ms(started);
    out
}

/// Run the invariants of `order` on the mutated `session` until one fails
/// (recorded in `out` as the kill); return what could not be checked.
fn try_until_killed(
    session: &Session,
    order: &[&dyn Invariant],
    m: &MutantFile,
    opts: &MutantRunOptions,
    cancel: &AtomicBool,
    out: &mut MutantOutcome,
) -> Vec<String> {
    let progress = |_: u64, _: u64| {};
    let ctx = RunContext {
        sandbox: &session.sandbox,
        cases: opts.cases,
        seed: opts.seed,
        shrink: opts.shrink,
        deadline: None,
        cancel,
        progress: &progress,
    };
    let mut errors = Vec::new();
    for inv in order {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            errors.push("cancelled".to_owned());
            break;
        }
        let r = inv.run(&ctx);
        out.tried.push(TriedInvariant {
            id: r.id.clone(),
            verdict: r.verdict,
            cases: r.cases,
            duration_ms: r.duration_ms,
        });
        match r.verdict {
            Verdict::Failed => {
                record_kill(out, &r, session, m, opts);
                break;
            }
            Verdict::Error => errors.push(format!(
                "{}: {}",
                r.id,
                r.error.as_deref().unwrap_or("harness error")
            )),
            Verdict::Incomplete => errors.push(format!(
                "{}: {}",
                r.id,
                pgconform_reports::text::incomplete_note(&r)
            )),
            Verdict::Passed | Verdict::Skipped => {}
        }
    }
    errors
}

/// Record in `out` that the failed result `r` killed the mutant, with its
/// counterexample's size, failure and case file.
fn record_kill(
    out: &mut MutantOutcome,
    r: &InvariantResult,
    session: &Session,
    m: &MutantFile,
    opts: &MutantRunOptions,
) {
    out.status = MutantStatus::Killed;
    out.expected_killer = m.header.kills.contains(&r.id);
    out.killed_by = Some(r.id.clone());
    if let Some(f) = r.failures.first() {
        out.cases_to_kill = Some(f.cases_to_failure);
        out.counterexample_bytes = Some(
            u64::try_from(serde_json::to_vec(&f.input).map_or(0, |b| b.len())).unwrap_or(u64::MAX),
        );
        out.failure = Some(f.detail.clone());
        out.case_file = write_kill_case(session, m, &r.id, &r.suite, &r.title, f, opts);
    }
}

fn write_kill_case(
    session: &Session,
    m: &MutantFile,
    id: &str,
    suite: &str,
    title: &str,
    f: &FailureRecord,
    opts: &MutantRunOptions,
) -> Option<String> {
    let mutant = case_mutant(&m.path).ok()?;
    let stub = RunReport::builder(session.server_info(), session.sut_info(), opts.seed)
        .cases_requested(opts.cases)
        .timing(crate::cli::shared::now_rfc3339(), 0)
        .build();
    let case = CaseFile::from_failure(&stub, id, suite, title, f, Some(mutant), None);
    let path = case.write_into(&opts.cases_dir).ok()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    Some(format!("cases/{name}"))
}

fn ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_header() {
        let h = parse_header(
            Path::new("m.sql"),
            "-- mutant: a-b\n-- kills: DUR-RT, DUR-WIRING\n-- why: because\nCREATE ...",
        )
        .expect("valid header");
        assert_eq!(h.name, "a-b");
        assert_eq!(h.kills, vec!["DUR-RT", "DUR-WIRING"]);
        assert_eq!(h.why, "because");
    }

    #[test]
    fn refuses_missing_lines_naming_the_file() {
        for text in [
            "-- kills: A\n-- why: x\n",
            "-- mutant: a\n-- why: x\n",
            "-- mutant: a\n-- kills: A\n",
            "-- mutant: a\n-- kills: \n-- why: x\n",
            "-- mutant: a b\n-- kills: A\n-- why: x\n",
            "-- mutant: a\n-- mutant: b\n-- kills: A\n-- why: x\n",
            "SELECT 1;\n-- mutant: a\n-- kills: A\n-- why: x\n",
        ] {
            let e = parse_header(Path::new("dir/bad.sql"), text).expect_err(text);
            assert!(
                e.to_string()
                    .starts_with("dir/bad.sql: invalid mutant header"),
                "{e}"
            );
        }
    }
}
