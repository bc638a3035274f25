//! `pgconform replay FILE`: replay one recorded case on a fresh database.

use crate::casefile::shrink::{self, Bounds};
use crate::casefile::{CaseFile, ScratchDir};
use crate::cleanup;
use crate::errln;
use crate::exit_codes::{INVARIANT_FAILED, OK, USAGE_OR_ENV};
use crate::provision::ProvisionOptions;
use crate::session::Session;
use anyhow::{anyhow, Context};
use clap::Args;
use pgconform_reports::{FailureDetail, InvariantResult, Verdict};
use pgconform_scenarios::invariant::{Invariant, RunContext, ShrinkPolicy};
use pgconform_scenarios::registry::{self, Options};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use crate::cli::shared::ServerArgs;

/// Flags of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The case file (`OUT/cases/<ID>-<hash>.json`).
    pub file: PathBuf,
    /// SUT directory to replay against (default: the bundled kernel).
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Server flags.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Shrink the recorded input further (generic JSON shrinking, each
    /// candidate re-checked on a fresh database) and write the result.
    #[arg(long)]
    pub shrink: bool,
    /// Bound on `--shrink`.
    #[arg(long, value_parser = crate::cli::shared::parse_duration, default_value = "120s")]
    pub shrink_time: Duration,
    /// Where `--shrink` writes the shrunk case (default: next to FILE).
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Replay on the SUT alone, leaving out the mutant the case was
    /// recorded with (a mutant's counterexample must hold there).
    #[arg(long)]
    pub without_mutant: bool,
    /// Less output.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Print a failure the way `run` does.
pub fn print_failure(id: &str, d: &FailureDetail, input: &serde_json::Value) {
    errln!("--- {id} failed: {}", d.message);
    if let Some(sql) = &d.sql {
        errln!("    sql: {sql}");
    }
    if let Some(s) = &d.sqlstate {
        errln!("    sqlstate: {s}");
    }
    if let Some(e) = &d.expected {
        errln!("    expected: {e}");
    }
    if let Some(a) = &d.actual {
        errln!("    actual:   {a}");
    }
    let pretty = serde_json::to_string_pretty(input).unwrap_or_default();
    errln!("    input: {}", pretty.replace('\n', "\n    "));
}

/// How one replay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The invariant fails on the input.
    Fails,
    /// The invariant holds on the input.
    Holds,
    /// The input is rejected as not applicable.
    Rejected,
    /// The harness or environment broke.
    Error,
}

/// What kind of failure a detail is: its SQLSTATE and its message up to the
/// first `:` with digits dropped (values vary between inputs, the statement
/// of what went wrong does not).
fn failure_kind(d: &pgconform_reports::FailureDetail) -> (Option<String>, String) {
    let head = d.message.split(':').next().unwrap_or("");
    (
        d.sqlstate.clone(),
        head.chars().filter(|c| !c.is_ascii_digit()).collect(),
    )
}

/// Classify a replay result.
pub fn outcome(r: &InvariantResult) -> Outcome {
    match r.verdict {
        Verdict::Failed => Outcome::Fails,
        Verdict::Passed => Outcome::Holds,
        Verdict::Incomplete if r.rejected > 0 => Outcome::Rejected,
        Verdict::Error | Verdict::Skipped | Verdict::Incomplete => Outcome::Error,
    }
}

/// A session ready to replay cases of one invariant.
pub struct Replayer {
    session: Session,
    invariant: Box<dyn Invariant>,
    seed: u64,
    _scratch: ScratchDir,
    /// Whether the SUT (+ mutant) fingerprint equals the recorded one.
    pub fingerprint_matches: bool,
    /// The SUT fingerprint replayed against.
    pub fingerprint: String,
}

impl Replayer {
    /// Prepare a fresh server with `sut_dir` and the case's recorded mutant.
    pub fn new(
        case: &CaseFile,
        sut_dir: &std::path::Path,
        provision: &ProvisionOptions,
    ) -> anyhow::Result<Self> {
        Self::prepare(case, sut_dir, provision, true)
    }

    /// Prepare a fresh server with `sut_dir` alone, without the case's
    /// recorded mutant: the reference a mutant's counterexample must hold on.
    pub fn without_mutant(
        case: &CaseFile,
        sut_dir: &std::path::Path,
        provision: &ProvisionOptions,
    ) -> anyhow::Result<Self> {
        Self::prepare(case, sut_dir, provision, false)
    }

    fn prepare(
        case: &CaseFile,
        sut_dir: &std::path::Path,
        provision: &ProvisionOptions,
        with_mutant: bool,
    ) -> anyhow::Result<Self> {
        let opts = Options {
            user_schema_sql: case.user_schema_sql.clone(),
        };
        let invariant = registry::all(&opts)
            .into_iter()
            .find(|i| i.meta().id == case.invariant)
            .ok_or_else(|| {
                anyhow!(
                    "the case names invariant {} which this pgconform does not have (see `pgconform list`)",
                    case.invariant
                )
            })?;
        let scratch = ScratchDir::new("replay").context("cannot create a scratch directory")?;
        let mutant = if with_mutant {
            case.write_mutant(scratch.path())?
        } else {
            None
        };
        let suite = invariant.meta().suite;
        let session = Session::prepare_for(
            sut_dir,
            mutant.as_deref(),
            provision,
            &[suite],
            &[invariant.meta().id],
        )?;
        let fingerprint = crate::sandbox::ServerSandbox::fingerprint(&session.sandbox).to_owned();
        Ok(Self {
            fingerprint_matches: fingerprint == case.sut.fingerprint,
            fingerprint,
            session,
            invariant,
            seed: case.seed,
            _scratch: scratch,
        })
    }

    /// Replay `input` once on a fresh database.
    pub fn replay(&self, input: &serde_json::Value) -> InvariantResult {
        let progress = |_: u64, _: u64| {};
        let ctx = RunContext {
            sandbox: &self.session.sandbox,
            cases: Some(1),
            seed: self.seed,
            shrink: ShrinkPolicy::default(),
            deadline: None,
            cancel: cleanup::cancel_flag(),
            progress: &progress,
        };
        self.invariant.replay(&ctx, input)
    }
}

/// Execute `pgconform replay`.
pub fn replay(args: ReplayArgs) -> anyhow::Result<i32> {
    cleanup::install_signal_handler(Duration::from_secs(10));
    let case = CaseFile::load(&args.file)?;
    let sut_dir = args
        .sut
        .clone()
        .unwrap_or_else(crate::sut::bundled_kernel_dir);
    if !args.quiet {
        announce(&args, &case, &sut_dir);
    }
    let replayer = if args.without_mutant {
        Replayer::without_mutant(&case, &sut_dir, &args.server.provision())?
    } else {
        Replayer::new(&case, &sut_dir, &args.server.provision())?
    };
    if !replayer.fingerprint_matches {
        errln!(
            "pgconform: warning: the SUT differs from the one the case was recorded on \
             (recorded fingerprint {}, now {}); the outcome may differ for that reason",
            case.sut.fingerprint,
            replayer.fingerprint
        );
    }
    let code = judge(&case, &replayer.replay(&case.input));
    if code != INVARIANT_FAILED || !args.shrink {
        if args.shrink && code == OK {
            errln!("pgconform: nothing to shrink: the case does not fail");
        }
        return Ok(code);
    }
    shrink_case(&args, &case, &sut_dir, &replayer)
}

/// Say what is replayed, from where, against what.
fn announce(args: &ReplayArgs, case: &CaseFile, sut_dir: &Path) {
    errln!(
        "pgconform: replaying {} ({}) from {} against {}{}",
        case.invariant,
        case.title,
        args.file.display(),
        sut_dir.display(),
        case.mutant
            .as_ref()
            .filter(|_| !args.without_mutant)
            .map(|m| format!(" + recorded mutant {}", m.path))
            .unwrap_or_default()
    );
}

/// Say how the replay `r` of `case` ended, and return the exit code.
fn judge(case: &CaseFile, r: &InvariantResult) -> i32 {
    match outcome(r) {
        Outcome::Fails => {
            let f = &r.failures[0];
            print_failure(&case.invariant, &f.detail, &case.input);
            if f.detail.message == case.failure.message {
                errln!("pgconform: the case still fails, as recorded");
            } else {
                errln!(
                    "pgconform: the case still fails, differently from the recording (recorded: {})",
                    case.failure.message
                );
            }
            INVARIANT_FAILED
        }
        Outcome::Holds => {
            errln!(
                "pgconform: {} holds on this input: the case no longer fails",
                case.invariant
            );
            OK
        }
        Outcome::Rejected => {
            errln!(
                "pgconform: {} rejects the recorded input as not applicable ({}); cannot judge it",
                case.invariant,
                r.reject_reasons
                    .keys()
                    .next()
                    .map(String::as_str)
                    .unwrap_or("")
            );
            USAGE_OR_ENV
        }
        Outcome::Error => {
            errln!(
                "pgconform: error: the replay could not run: {}",
                r.error.as_deref().unwrap_or("unknown harness error")
            );
            USAGE_OR_ENV
        }
    }
}

/// `--shrink`: search for a smaller input that fails the same way (and, for
/// a mutant's case, holds without the mutant), re-check it, and write it as
/// a new case file. The recorded case already failed on `replayer`.
fn shrink_case(
    args: &ReplayArgs,
    case: &CaseFile,
    sut_dir: &Path,
    replayer: &Replayer,
) -> anyhow::Result<i32> {
    let before = shrink::size(&case.input);
    // A candidate counts only if it fails the same way: a new error (an
    // input the property cannot even use) is not the same counterexample.
    let kind = failure_kind(&case.failure);
    let same_way = |r: &InvariantResult| {
        outcome(r) == Outcome::Fails
            && r.failures.first().map(|f| failure_kind(&f.detail)) == Some(kind.clone())
    };
    // A mutant's counterexample must hold on the kernel without the mutant:
    // an input that fails there too shows a fault of the input or the kernel,
    // not of the mutant.
    let clean = match &case.mutant {
        Some(_) if !args.without_mutant => Some(Replayer::without_mutant(
            case,
            sut_dir,
            &args.server.provision(),
        )?),
        _ => None,
    };
    let holds_clean = |cand: &serde_json::Value| {
        clean
            .as_ref()
            .is_none_or(|c| outcome(&c.replay(cand)) == Outcome::Holds)
    };
    if !holds_clean(&case.input) {
        errln!(
            "pgconform: the recorded input does not hold on the kernel without the mutant either: \
             it is no counterexample of the mutant; not shrinking"
        );
        return Ok(INVARIANT_FAILED);
    }
    let result = shrink::shrink(
        &case.input,
        Bounds {
            max_time: args.shrink_time,
            max_checks: 100_000,
        },
        |cand| !cleanup::cancelled() && same_way(&replayer.replay(cand)) && holds_clean(cand),
    );
    if result.steps == 0 {
        errln!(
            "pgconform: the input is already minimal for generic shrinking ({} candidates checked)",
            result.checks
        );
        return Ok(INVARIANT_FAILED);
    }
    // A nondeterministic failure can pass the search and miss the final
    // re-check: then the recorded case stands and nothing is written.
    let final_run = replayer.replay(&result.input);
    let final_holds_clean = holds_clean(&result.input);
    if !same_way(&final_run) || !final_holds_clean {
        errln!(
            "pgconform: the shrunk input did not {} on its final re-check: the failure is not \
             deterministic, so the recorded case stands and nothing was written",
            if final_holds_clean {
                "fail the same way"
            } else {
                "hold without the mutant"
            }
        );
        return Ok(INVARIANT_FAILED);
    }
    let mut shrunk = case.clone();
    shrunk.input = result.input.clone();
    shrunk.input_sha256 = crate::casefile::value_sha256(&shrunk.input);
    shrunk.failure = final_run.failures[0].detail.clone();
    shrunk.shrink_steps = case.shrink_steps + result.steps;
    shrunk.created_at = crate::cli::shared::now_rfc3339();
    let path = write_shrunk(args, &shrunk)?;
    print_failure(&case.invariant, &shrunk.failure, &shrunk.input);
    errln!(
        "pgconform: shrunk {} -> {} bytes in {} steps ({} candidates{}); written to {}",
        before,
        shrink::size(&shrunk.input),
        result.steps,
        result.checks,
        if result.bounded {
            ", stopped by the bound"
        } else {
            ""
        },
        path.display()
    );
    Ok(INVARIANT_FAILED)
}

/// Write the shrunk case where `--output` says (a `.json` file or a
/// directory), or next to the recorded case file; return its path.
fn write_shrunk(args: &ReplayArgs, shrunk: &CaseFile) -> anyhow::Result<PathBuf> {
    match &args.output {
        Some(p) if p.extension().is_some_and(|e| e == "json") => {
            if let Some(parent) = p.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let mut text = serde_json::to_string_pretty(&shrunk.sealed())?;
            text.push('\n');
            std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))?;
            Ok(p.clone())
        }
        Some(dir) => Ok(shrunk.write_into(dir)?),
        None => Ok(shrunk.write_into(
            args.file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )?),
    }
}
