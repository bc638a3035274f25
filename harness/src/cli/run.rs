//! `pgconform run`: check invariants against a kernel.

use crate::cleanup;
use crate::progress::{Progress, ProgressEvent};
use crate::provision::{BackendKind, ProvisionOptions};
use crate::runner::{self, RunOptions};
use crate::session::Session;
use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use pgconform_reports::events::Event;
use pgconform_reports::{CoverageRequirement, RenderOptions, RunReport, ShardSpec, FORMAT_VERSION};
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
    /// Run only this invariant ID (repeatable).
    #[arg(long = "invariant", value_name = "ID")]
    pub invariants: Vec<String>,
    /// Cases per invariant, at least 1 (default: each invariant's own).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: Option<u32>,
    /// Run seed (default: random, printed and recorded in the report).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel jobs.
    #[arg(long, default_value_t = default_jobs())]
    pub jobs: usize,
    /// Stop starting new cases after this long (e.g. 90s, 10m, 1h). An
    /// invariant that checked fewer cases than asked is incomplete, which
    /// fails the run unless `--allow-incomplete` is given.
    #[arg(long, value_parser = parse_duration)]
    pub time_budget: Option<Duration>,
    /// Exit 0 even when some invariants are incomplete (fewer cases checked
    /// than asked, e.g. under `--time-budget`); the report still says so.
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Backend providing PostgreSQL 16.
    #[arg(long, value_enum, default_value = "embedded")]
    pub backend: BackendKind,
    /// Server URL for `--backend dsn` (only throwaway databases are created).
    #[arg(long, env = "PGCONFORM_DSN")]
    pub dsn: Option<String>,
    /// Image for `--backend docker`.
    #[arg(long, default_value = "postgres:16")]
    pub image: String,
    /// Directory of the system under test (a MANIFEST and its SQL files).
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Apply this mutant file on top of the SUT (its header is checked).
    #[arg(long, value_name = "FILE")]
    pub mutant: Option<PathBuf>,
    /// Apply this variant on top of the SUT: a `.sql` file, or a directory
    /// with its own MANIFEST used as the SUT (its header is checked).
    #[arg(long, value_name = "FILE|DIR", conflicts_with = "mutant")]
    pub variant: Option<PathBuf>,
    /// Output directory for reports and case files.
    #[arg(long, default_value = "pgconform-out")]
    pub out: PathBuf,
    /// Do not shrink failures (shrink later with `replay --shrink`).
    #[arg(long)]
    pub no_shrink: bool,
    /// Bound on shrinking one failure.
    #[arg(long, value_parser = parse_duration, default_value = "120s")]
    pub shrink_time: Duration,
    /// Accept a server that is not PostgreSQL 16 (reported as such).
    #[arg(long)]
    pub allow_any_major: bool,
    /// A user schema file for the drift suite's DRIFT-CLEAN / DRIFT-DETECT.
    #[arg(long, value_name = "FILE.sql")]
    pub schema: Option<PathBuf>,
    /// No progress output.
    #[arg(long, short)]
    pub quiet: bool,
    // --- reporting flags (owned by the reports side; see docs/reports.md) ---
    /// What to print on stdout: `human` (nothing; progress and summary on
    /// stderr), `tap` (TAP 14 at the end), `json` (one JSON event per line).
    #[arg(long, value_enum, default_value = "human")]
    pub format: OutputFormat,
    /// Run only shard K of N (1-based): a deterministic partition of the
    /// selected invariants by a hash of their ID. Merge the shard reports
    /// with `pgconform report merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<ShardSpec>,
    /// Fail (exit 1) unless a case exercised this coverage class; `CLASS`
    /// (any invariant) or `ID:CLASS` (repeatable).
    #[arg(long = "require-coverage", value_name = "[ID:]CLASS")]
    pub require_coverage: Vec<String>,
    /// Also write every failing case to DIR/cases/ (default DIR:
    /// `proptest-regressions`), where `tests/tests/regressions.rs` replays it.
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

fn print_stdout_line(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Default `--jobs`: the CPU count (2 when unknown).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Parse `90s`, `10m`, `1h`, `500ms` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration `{s}` (use e.g. 90s, 10m, 1h)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("invalid duration unit in `{s}` (ms, s, m, h)")),
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(format!("invalid duration `{s}`"));
    }
    Ok(Duration::from_secs_f64(secs))
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

/// Current UTC time as RFC 3339 (seconds precision), without extra crates.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86400).unwrap_or(0);
    let rem = secs % 86400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The provisioning options the flags describe.
pub fn provision_options(args: &RunArgs) -> ProvisionOptions {
    ProvisionOptions {
        backend: args.backend,
        dsn: args.dsn.clone(),
        image: args.image.clone(),
        allow_any_major: args.allow_any_major,
        ..ProvisionOptions::default()
    }
}

/// Write `report` into `out/report.json`.
pub fn write_report(out: &Path, report: &RunReport) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create output directory {}", out.display()))?;
    let path = out.join("report.json");
    let json = serde_json::to_string_pretty(report)?;
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The SUT directory and the file applied on top of it, from `--sut`,
/// `--mutant` and `--variant`; a mutant or variant whose header is invalid
/// is a usage error before any work.
fn applied_file(args: &RunArgs) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let sut_dir = args
        .sut
        .clone()
        .unwrap_or_else(crate::sut::bundled_kernel_dir);
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

/// Refuse an output directory that cannot be written before any work, so a
/// run's results are never lost at the end.
pub fn ensure_writable(out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("--out {} cannot be created", out.display()))?;
    let probe = out.join(format!(".pgconform-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("--out {} is not writable", out.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Execute `pgconform run`.
pub fn run(args: RunArgs) -> anyhow::Result<i32> {
    ensure_writable(&args.out)?;
    cleanup::install_signal_handler(Duration::from_secs(20));
    let signer = args.signing.load()?;
    let started = Instant::now();
    let started_at = now_rfc3339();
    let opts = Options {
        user_schema_sql: match &args.schema {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read --schema {}", p.display()))?,
            ),
            None => None,
        },
    };
    let (invariants, suites) = select(&args.suite, &args.invariants, &opts)?;
    if invariants.is_empty() {
        bail!("nothing to run: the selection matches no invariant");
    }
    let selection: Vec<String> = invariants.iter().map(|i| i.meta().id.to_owned()).collect();
    let invariants: Vec<Box<dyn Invariant>> = match args.shard {
        Some(sh) => invariants
            .into_iter()
            .filter(|i| sh.owns(i.meta().id))
            .collect(),
        None => invariants,
    };
    let mut coverage_requirements = Vec::new();
    for spec in &args.require_coverage {
        let req = CoverageRequirement::parse(spec, |id| selection.iter().any(|s| s == id))?;
        coverage_requirements.push(req);
    }
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let (sut_dir, applied) = applied_file(&args)?;
    let mut progress = Progress::new(args.quiet);
    if args.format == OutputFormat::Json {
        progress = progress.with_listener(Box::new(|e: ProgressEvent<'_>| {
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
            print_stdout_line(&line);
        }));
    }
    if !args.quiet {
        crate::errln!(
            "pgconform: {} invariants, seed {seed}, backend {:?}, SUT {}{}",
            invariants.len(),
            args.backend,
            sut_dir.display(),
            applied
                .as_ref()
                .map(|m| format!(
                    " + {} {}",
                    if args.variant.is_some() {
                        "variant"
                    } else {
                        "mutant"
                    },
                    m.display()
                ))
                .unwrap_or_default()
        );
    }
    let ids: Vec<&str> = invariants.iter().map(|i| i.meta().id).collect();
    let session = Session::prepare_for(
        &sut_dir,
        applied.as_deref(),
        &provision_options(&args),
        &suites,
        &ids,
    )?;
    if !args.quiet {
        crate::errln!(
            "pgconform: server ready ({}) in {:.2}s",
            session
                .server
                .identity
                .version
                .split(" on ")
                .next()
                .unwrap_or(""),
            started.elapsed().as_secs_f64()
        );
    }
    if args.format == OutputFormat::Json {
        let ids: Vec<&str> = invariants.iter().map(|i| i.meta().id).collect();
        print_stdout_line(
            &Event::RunStarted {
                seed,
                invariants: ids,
                shard: args.shard,
                sut_fingerprint: session.sandbox.fingerprint(),
            }
            .to_line(),
        );
    }
    let run_opts = RunOptions {
        jobs: args.jobs,
        cases: args.cases,
        seed,
        shrink: ShrinkPolicy {
            disabled: args.no_shrink,
            max_time: args.shrink_time,
        },
        time_budget: args.time_budget,
    };
    let results = runner::run(
        &invariants,
        &session.sandbox,
        &run_opts,
        cleanup::cancel_flag(),
        &progress,
    );
    let mut code = runner::exit_code(&results, args.allow_incomplete);
    // A shard can judge only requirements scoped to invariants it ran; the
    // merged report re-evaluates every requirement over all shards.
    pgconform_reports::coverage::evaluate_all(&mut coverage_requirements, &results);
    let judged = |c: &CoverageRequirement| match (args.shard, &c.invariant) {
        (None, _) => true,
        (Some(sh), Some(id)) => sh.owns(id),
        (Some(_), None) => false,
    };
    let missing_coverage: Vec<&CoverageRequirement> = coverage_requirements
        .iter()
        .filter(|c| !c.satisfied && judged(c))
        .collect();
    if code == crate::exit_codes::OK && !missing_coverage.is_empty() {
        code = crate::exit_codes::INVARIANT_FAILED;
    }
    let missing_specs: Vec<String> = missing_coverage
        .iter()
        .map(|c| c.explain_missing(&results))
        .collect();
    let mut report = RunReport {
        format_version: FORMAT_VERSION,
        pgconform_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_revision: option_env!("PGCONFORM_GIT_REVISION").map(str::to_owned),
        server: session.server_info(),
        sut: session.sut_info(),
        seed,
        cases_requested: args.cases,
        started_at,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        results,
        selection,
        shard: args.shard,
        shards: Vec::new(),
        coverage_requirements,
        interrupted: cleanup::cancelled(),
        mutants: None,
        signature_key_id: signer.as_ref().map(|k| k.key_id().to_owned()),
        integrity_sha256: String::new(),
    };
    drop(session);
    crate::casefile::write_cases(
        &mut report,
        &args.out,
        applied.as_deref(),
        opts.user_schema_sql.as_deref(),
        args.save_regressions.as_deref(),
    )?;
    report.seal();
    let render = RenderOptions {
        out_dir: args.out.display().to_string(),
        replay_args: if sut_dir == crate::sut::bundled_kernel_dir() {
            String::new()
        } else {
            format!(
                "--sut {}",
                pgconform_reports::text::shell_quote(&sut_dir.display().to_string())
            )
        },
    };
    let path = pgconform_reports::write_all(&args.out, &report, &render)
        .with_context(|| format!("cannot write reports into {}", args.out.display()))?;
    crate::signing::sign_written(signer.as_ref(), &path, &report.integrity_sha256, args.quiet)?;
    if !args.quiet {
        print_summary(&report, &render);
        for m in &missing_specs {
            crate::errln!("missing coverage: {m}");
        }
        crate::errln!("pgconform: report written to {}", path.display());
    }
    match args.format {
        OutputFormat::Human => {}
        OutputFormat::Tap => crate::out!("{}", pgconform_reports::tap::render(&report, &render)),
        OutputFormat::Json => print_stdout_line(
            &Event::RunFinished {
                exit_code: if cleanup::cancelled() {
                    crate::exit_codes::USAGE_OR_ENV
                } else {
                    code
                },
                passed: report.count(pgconform_reports::Verdict::Passed),
                failed: report.count(pgconform_reports::Verdict::Failed),
                errors: report.count(pgconform_reports::Verdict::Error),
                skipped: report.count(pgconform_reports::Verdict::Skipped),
                missing_coverage: missing_specs.clone(),
                report: &path.display().to_string(),
                duration_ms: report.duration_ms,
            }
            .to_line(),
        ),
    }
    if cleanup::cancelled() {
        crate::errln!("pgconform: interrupted: the report is partial");
        return Ok(crate::exit_codes::USAGE_OR_ENV);
    }
    Ok(code)
}

fn print_summary(report: &RunReport, render: &RenderOptions) {
    use pgconform_reports::Verdict;
    let count = |v: Verdict| report.results.iter().filter(|r| r.verdict == v).count();
    for r in report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
    {
        for f in &r.failures {
            crate::errln!(
                "\n--- {} failed after {} cases: {}",
                r.id, f.cases_to_failure, f.detail.message
            );
            if let Some(sql) = &f.detail.sql {
                crate::errln!("    sql: {sql}");
            }
            if let Some(s) = &f.detail.sqlstate {
                crate::errln!("    sqlstate: {s}");
            }
            if let (Some(e), Some(a)) = (&f.detail.expected, &f.detail.actual) {
                crate::errln!("    expected: {e}\n    actual:   {a}");
            }
            crate::errln!(
                "    shrunk input: {}",
                f.input_summary.replace('\n', "\n    ")
            );
            if let Some(cmd) = render.replay_command(f) {
                crate::errln!("    replay: {cmd}");
            }
        }
    }
    for r in report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Incomplete)
    {
        crate::errln!(
            "\n--- {} is {}",
            r.id,
            pgconform_reports::text::incomplete_note(r)
        );
    }
    crate::errln!(
        "\n{} passed, {} failed, {} incomplete, {} errors, {} skipped (seed {})",
        count(Verdict::Passed),
        count(Verdict::Failed),
        count(Verdict::Incomplete),
        count(Verdict::Error),
        count(Verdict::Skipped),
        report.seed
    );
}
