//! `pgconform run`: check invariants against a kernel.
//!
//! [`run`] reads as the steps of a run: plan it from the flags, prepare the
//! server, run the invariants with progress, judge the results, write the
//! reports, then tell the user.

use crate::cleanup;
use crate::cli::output::{plural, plural_of};
use crate::cli::shared::{ensure_writable, parse_duration, show_elapsed, RunFlags};
use crate::progress::{Progress, ProgressEvent};
use crate::runner::{self, RunOptions};
use crate::session::Session;
use crate::{errln, out, outln};
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use pgconform_reports::events::Event;
use pgconform_reports::{CoverageRequirement, RenderOptions, RunReport, ShardSpec, Verdict};
use pgconform_scenarios::invariant::{Invariant, ShrinkPolicy, Suite};
use pgconform_scenarios::registry::{self, Options};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Flags of `run`.
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Suite to run: durability, drift, evidence, gates, foundation or all (repeatable).
    #[arg(long, default_value = "all")]
    pub suite: Vec<String>,
    /// Run only this invariant ID (repeatable) [default: every invariant of `--suite`].
    #[arg(long = "invariant", value_name = "ID")]
    pub invariants: Vec<String>,
    /// Flags shared with `mutants` and `variants`.
    #[command(flatten)]
    pub common: RunFlags,
    /// Stop starting new cases after this long (90s, 10m, 1h) [default: no limit].
    ///
    /// An invariant that checked fewer cases than asked is incomplete, which
    /// fails the run unless `--allow-incomplete` is given.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
    /// Exit 0 even when some invariants are incomplete (the report still says so).
    ///
    /// Incomplete: fewer cases checked than asked, e.g. under `--time-budget`.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Apply this mutant file on top of the SUT, its header checked [default: none].
    #[arg(long, value_name = "FILE")]
    pub mutant: Option<PathBuf>,
    /// Apply this variant: a `.sql` file on the SUT, or a directory used as the SUT [default: none].
    ///
    /// A directory variant has its own MANIFEST; either way its header is checked.
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "mutant")]
    pub variant: Option<PathBuf>,
    /// Output directory for reports and case files.
    #[arg(long, value_name = "DIR", default_value = "pgconform-out")]
    pub out: PathBuf,
    /// Bound on shrinking one failure.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "120s")]
    pub shrink_time: Duration,
    /// A user schema file for the drift suite's DRIFT-CLEAN / DRIFT-DETECT [default: none].
    #[arg(long, value_name = "FILE.sql")]
    pub schema: Option<PathBuf>,
    // --- reporting flags (owned by the reports side; see docs/reports.md) ---
    /// What to print on stdout: human (nothing), tap (TAP 14 at the end), json (events).
    ///
    /// `human` prints nothing on stdout (progress and summary go to stderr);
    /// `tap` prints TAP 14 at the end; `json` one JSON event per line.
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Run only shard K of N (1-based); merge shards with `report merge` [default: all].
    ///
    /// A deterministic partition of the selected invariants by a hash of their ID.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<ShardSpec>,
    /// Fail unless a case exercised this coverage class, `CLASS` or `ID:CLASS` (repeatable).
    #[arg(long = "require-coverage", value_name = "[ID:]CLASS")]
    pub require_coverage: Vec<String>,
    /// Also write failing cases to DIR/cases/ [default DIR: proptest-regressions].
    ///
    /// `tests/tests/regressions.rs` replays the cases there.
    #[arg(
        long,
        value_name = "DIR",
        num_args = 0..=1,
        default_missing_value = "proptest-regressions"
    )]
    pub save_regressions: Option<PathBuf>,
    /// Signing (`--sign-key`; see docs/reports.md).
    #[command(flatten)]
    pub signing: crate::signing::SignArgs,
}

/// What `run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Nothing on stdout (progress and summary on stderr).
    Human,
    /// TAP version 14: one test point per invariant, YAML diagnostics.
    Tap,
    /// JSON lines: run-started, invariant-started, case, invariant-finished, run-finished.
    Json,
}

/// What a run will do, resolved from its flags before any server starts.
struct Plan {
    /// Options of the invariant registry (`--schema`).
    registry: Options,
    /// The invariants this run (or shard) runs.
    invariants: Vec<Box<dyn Invariant>>,
    /// Their suites.
    suites: Vec<Suite>,
    /// Every invariant selected, before sharding.
    selection: Vec<String>,
    /// `--require-coverage`, parsed.
    coverage: Vec<CoverageRequirement>,
    seed: u64,
    sut_dir: PathBuf,
    /// The mutant or file variant applied on top of the SUT.
    applied: Option<PathBuf>,
}

impl Plan {
    fn from_args(args: &RunArgs) -> anyhow::Result<Self> {
        let registry = Options {
            user_schema_sql: match &args.schema {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read --schema {}", p.display()))?,
                ),
                None => None,
            },
        };
        let (invariants, suites) = select(&args.suite, &args.invariants, &registry)?;
        if invariants.is_empty() {
            bail!("nothing to run: the selection matches no invariant");
        }
        let selection: Vec<String> = invariants.iter().map(|i| i.meta().id.to_owned()).collect();
        let invariants = match args.shard {
            Some(sh) => invariants
                .into_iter()
                .filter(|i| sh.owns(i.meta().id))
                .collect(),
            None => invariants,
        };
        let coverage = args
            .require_coverage
            .iter()
            .map(|spec| CoverageRequirement::parse(spec, |id| selection.iter().any(|s| s == id)))
            .collect::<Result<_, _>>()?;
        let (sut_dir, applied) = applied_file(args)?;
        Ok(Self {
            registry,
            invariants,
            suites,
            selection,
            coverage,
            seed: args.common.seed_or_random(),
            sut_dir,
            applied,
        })
    }

    fn ids(&self) -> Vec<&str> {
        self.invariants.iter().map(|i| i.meta().id).collect()
    }
}

/// The results judged: the exit code and the coverage requirements not met.
struct Judgement {
    code: i32,
    coverage: Vec<CoverageRequirement>,
    /// One explanation per requirement this run could judge and did not meet.
    missing: Vec<String>,
}

/// Execute `pgconform run`.
pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    ensure_writable(&args.out)?;
    cleanup::install_signal_handler(Duration::from_secs(20));
    let signer = args.signing.load()?;
    let started = Instant::now();
    let started_at = crate::cli::shared::now_rfc3339();
    let plan = Plan::from_args(&args)?;
    let quiet = args.common.quiet;
    if !quiet {
        announce_plan(&args, &plan);
    }
    let session = Session::prepare_for(
        &plan.sut_dir,
        plan.applied.as_deref(),
        &args.common.server.provision(),
        &plan.suites,
        &plan.ids(),
    )?;
    if !quiet {
        announce_server(&session, started);
    }
    if args.format == OutputFormat::Json {
        outln!(
            "{}",
            Event::RunStarted {
                seed: plan.seed,
                invariants: plan.ids(),
                shard: args.shard,
                sut_fingerprint: session.sandbox.fingerprint(),
            }
            .to_line()
        );
    }
    let progress = progress_for(&args);
    let results = runner::run(
        &plan.invariants,
        &session.sandbox,
        &run_options(&args, plan.seed),
        cleanup::cancel_flag(),
        &progress,
    );
    drop(progress);
    let judged = judge(&args, plan.coverage.clone(), &results);
    let mut report = RunReport::builder(session.server_info(), session.sut_info(), plan.seed)
        .cases_requested(args.common.cases)
        .timing(started_at, elapsed_ms(started))
        .results(plan.selection.clone(), results)
        .shard(args.shard)
        .coverage(judged.coverage.clone())
        .interrupted(cleanup::cancelled())
        .signed_by(signer.as_ref().map(|k| k.key_id().to_owned()))
        .build();
    drop(session);
    let (path, render) = write_reports(&args, &plan, &mut report)?;
    crate::signing::sign_written(signer.as_ref(), &path, &report.integrity_sha256, quiet)?;
    if !quiet {
        print_summary(&report, &render, &judged.missing, &path);
    }
    print_stdout_result(&args, &report, &render, &judged, &path);
    if cleanup::cancelled() {
        errln!("pgconform: interrupted: the report is partial");
        return Ok(crate::exit_codes::USAGE_OR_ENV);
    }
    Ok(judged.code)
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The runner's options from the flags.
fn run_options(args: &RunArgs, seed: u64) -> RunOptions {
    RunOptions {
        jobs: args.common.jobs,
        cases: args.common.cases,
        seed,
        shrink: ShrinkPolicy {
            disabled: args.common.no_shrink,
            max_time: args.shrink_time,
        },
        time_budget: args.time_budget,
    }
}

/// The display, plus a JSON line on stdout per event under `--format json`.
fn progress_for(args: &RunArgs) -> Progress {
    let progress = Progress::new(args.common.quiet);
    if args.format != OutputFormat::Json {
        return progress;
    }
    progress.with_listener(Box::new(|e: ProgressEvent<'_>| {
        let line = match e {
            ProgressEvent::Started(id) => Event::InvariantStarted { id }.to_line(),
            ProgressEvent::Case(id, cases, failures) => Event::Case {
                id,
                cases,
                failures,
            }
            .to_line(),
            ProgressEvent::Finished(result) => Event::InvariantFinished { result }.to_line(),
        };
        outln!("{line}");
    }))
}

/// `pgconform: 35 invariants, seed 7, backend embedded, SUT kernel`.
fn announce_plan(args: &RunArgs, plan: &Plan) {
    let applied = match &plan.applied {
        Some(m) if args.variant.is_some() => format!(" + variant {}", m.display()),
        Some(m) => format!(" + mutant {}", m.display()),
        None => String::new(),
    };
    errln!(
        "pgconform: {}, seed {}, backend {}, SUT {}{applied}",
        plural_of(plan.invariants.len(), "invariant"),
        plan.seed,
        args.common.server.backend,
        plan.sut_dir.display(),
    );
}

/// `pgconform: server ready (PostgreSQL 16.4) in 1.2s`.
fn announce_server(session: &Session, started: Instant) {
    let version = &session.server.identity.version;
    errln!(
        "pgconform: server ready ({}) in {}",
        version.split(" on ").next().unwrap_or(""),
        crate::cli::shared::show_elapsed(started.elapsed())
    );
}

/// The exit code of the results, with coverage requirements evaluated: a
/// shard judges only requirements scoped to invariants it ran (the merged
/// report re-evaluates every requirement over all shards).
fn judge(
    args: &RunArgs,
    mut coverage: Vec<CoverageRequirement>,
    results: &[pgconform_reports::InvariantResult],
) -> Judgement {
    let mut code = runner::exit_code(results, args.allow_incomplete);
    pgconform_reports::coverage::evaluate_all(&mut coverage, results);
    let judged_here = |c: &CoverageRequirement| match (args.shard, &c.invariant) {
        (None, _) => true,
        (Some(sh), Some(id)) => sh.owns(id),
        (Some(_), None) => false,
    };
    let missing: Vec<String> = coverage
        .iter()
        .filter(|c| !c.satisfied && judged_here(c))
        .map(|c| c.explain_missing(results))
        .collect();
    if code == crate::exit_codes::OK && !missing.is_empty() {
        code = crate::exit_codes::INVARIANT_FAILED;
    }
    Judgement {
        code,
        coverage,
        missing,
    }
}

/// Write the case files, seal the report and write it with its renderings;
/// returns the path of `report.json` and how the renderings name replays.
fn write_reports(
    args: &RunArgs,
    plan: &Plan,
    report: &mut RunReport,
) -> anyhow::Result<(PathBuf, RenderOptions)> {
    crate::casefile::write_cases(
        report,
        &args.out,
        plan.applied.as_deref(),
        plan.registry.user_schema_sql.as_deref(),
        args.save_regressions.as_deref(),
    )?;
    report.seal();
    let render = RenderOptions {
        out_dir: args.out.display().to_string(),
        replay_args: if plan.sut_dir == crate::sut::bundled_kernel_dir() {
            String::new()
        } else {
            format!(
                "--sut {}",
                pgconform_reports::text::shell_quote(&plan.sut_dir.display().to_string())
            )
        },
    };
    let path = pgconform_reports::write_all(&args.out, report, &render)
        .with_context(|| format!("cannot write reports into {}", args.out.display()))?;
    Ok((path, render))
}

/// What `--format tap|json` prints on stdout at the end.
fn print_stdout_result(
    args: &RunArgs,
    report: &RunReport,
    render: &RenderOptions,
    judged: &Judgement,
    path: &Path,
) {
    match args.format {
        OutputFormat::Human => {}
        OutputFormat::Tap => out!("{}", pgconform_reports::tap::render(report, render)),
        OutputFormat::Json => outln!(
            "{}",
            Event::RunFinished {
                exit_code: if cleanup::cancelled() {
                    crate::exit_codes::USAGE_OR_ENV
                } else {
                    judged.code
                },
                passed: report.count(Verdict::Passed),
                failed: report.count(Verdict::Failed),
                errors: report.count(Verdict::Error),
                skipped: report.count(Verdict::Skipped),
                missing_coverage: judged.missing.clone(),
                report: &path.display().to_string(),
                duration_ms: report.duration_ms,
            }
            .to_line()
        ),
    }
}

/// The invariants a selection resolves to, and their suites.
pub type Selected = (Vec<Box<dyn Invariant>>, Vec<Suite>);

/// Resolve `--suite` and `--invariant` into the invariants to run.
pub fn select(suites: &[String], ids: &[String], opts: &Options) -> anyhow::Result<Selected> {
    let mut wanted: Vec<Suite> = Vec::new();
    for s in suites {
        if s == "all" {
            wanted.extend(Suite::ALL);
        } else {
            match Suite::parse(s) {
                Some(x) => wanted.push(x),
                None => bail!(
                    "unknown suite `{s}` (expected one of: all, {})",
                    Suite::ALL.map(Suite::name).join(", ")
                ),
            }
        }
    }
    let all = registry::all(opts);
    for id in ids {
        if !all.iter().any(|i| i.meta().id == id) {
            bail!("unknown invariant `{id}` (see `pgconform list`)");
        }
    }
    let chosen: Vec<Box<dyn Invariant>> = all
        .into_iter()
        .filter(|i| {
            if ids.is_empty() {
                wanted.contains(&i.meta().suite)
            } else {
                ids.iter().any(|id| id == i.meta().id)
            }
        })
        .collect();
    let mut suites_used: Vec<Suite> = chosen.iter().map(|i| i.meta().suite).collect();
    suites_used.sort();
    suites_used.dedup();
    Ok((chosen, suites_used))
}

/// The SUT directory and the file applied on top of it, from `--sut`,
/// `--mutant` and `--variant`; a mutant or variant whose header is invalid
/// is a usage error before any work.
fn applied_file(args: &RunArgs) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let sut_dir = args.common.sut_dir();
    if let Some(m) = &args.mutant {
        let text = std::fs::read_to_string(m)
            .with_context(|| format!("cannot read --mutant {}", m.display()))?;
        let header = crate::mutant::parse_header(m, &text)?;
        let all = registry::all(&Options::default());
        if let Some(id) = header
            .kills
            .iter()
            .find(|id| !all.iter().any(|i| i.meta().id == id.as_str()))
        {
            bail!(crate::mutant::MutantError::UnknownInvariant {
                path: m.clone(),
                id: id.clone(),
            });
        }
        return Ok((sut_dir, Some(m.clone())));
    }
    if let Some(v) = &args.variant {
        return Ok(match crate::variant::load(v)?.kind {
            crate::variant::VariantKind::File(f) => (sut_dir, Some(f)),
            crate::variant::VariantKind::Sut(d) => (d, None),
        });
    }
    Ok((sut_dir, None))
}

/// Failures with their replay commands, incomplete invariants, missing
/// coverage, the counts, and where the reports are.
fn print_summary(report: &RunReport, render: &RenderOptions, missing: &[String], json: &Path) {
    for r in report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
    {
        for f in &r.failures {
            print_failure(&r.id, f, render);
        }
    }
    for r in report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Incomplete)
    {
        errln!(
            "\n--- {} is {}",
            r.id,
            pgconform_reports::text::incomplete_note(r)
        );
    }
    for m in missing {
        errln!("missing coverage: {m}");
    }
    errln!(
        "\n{} passed, {} failed, {} incomplete, {}, {} skipped in {} (seed {})",
        report.count(Verdict::Passed),
        report.count(Verdict::Failed),
        report.count(Verdict::Incomplete),
        plural_of(report.count(Verdict::Error), "error"),
        report.count(Verdict::Skipped),
        show_elapsed(Duration::from_millis(report.duration_ms)),
        report.seed
    );
    errln!(
        "pgconform: report: {} (read it: {})",
        json.display(),
        json.with_file_name("report.html").display()
    );
}

/// One failure: what failed, expected vs actual, the shrunk input, the replay.
fn print_failure(id: &str, f: &pgconform_reports::FailureRecord, render: &RenderOptions) {
    errln!(
        "\n--- {id} failed after {}: {}",
        plural(f.cases_to_failure, "case"),
        f.detail.message
    );
    if let Some(sql) = &f.detail.sql {
        errln!("    sql: {sql}");
    }
    if let Some(s) = &f.detail.sqlstate {
        errln!("    sqlstate: {s}");
    }
    if let (Some(e), Some(a)) = (&f.detail.expected, &f.detail.actual) {
        errln!("    expected: {e}\n    actual:   {a}");
    }
    errln!(
        "    shrunk input: {}",
        f.input_summary.replace('\n', "\n    ")
    );
    if let Some(cmd) = render.replay_command(f) {
        errln!("    replay: {cmd}");
    }
}
