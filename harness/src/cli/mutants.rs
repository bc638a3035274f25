//! `pgconform mutants`: run every mutant and require each to be killed.

use crate::cleanup;
use crate::cli::output::{plural, plural_of};
use crate::cli::shared::{ensure_writable, now_rfc3339, parse_duration, show_elapsed, RunFlags};
use crate::errln;
use crate::exit_codes::{INVARIANT_FAILED, OK, USAGE_OR_ENV};
use crate::mutant::{self, MutantFile, MutantRunOptions};
use crate::progress::Progress;
use crate::runner::{self, RunOptions};
use crate::session::Session;
use anyhow::Context;
use clap::Args;
use pgconform_reports::{
    InvariantResult, MutantMatrix, MutantOutcome, MutantStatus, RenderOptions, RunReport,
    ServerInfo, SutInfo, Verdict,
};
use pgconform_scenarios::invariant::{Invariant, ShrinkPolicy, Suite};
use pgconform_scenarios::registry::{self, Options};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Flags of `mutants`.
#[derive(Debug, Args)]
pub struct MutantsArgs {
    /// Mutant directory, searched recursively for *.sql, or one mutant file [default: <sut>/mutants].
    #[arg(long, value_name = "DIR")]
    pub mutants: Option<PathBuf>,
    /// Output directory.
    #[arg(long, value_name = "DIR", default_value = "pgconform-mutants")]
    pub out: PathBuf,
    /// Flags shared with `run` and `variants`.
    #[command(flatten)]
    pub common: RunFlags,
    /// Bound on shrinking one killing counterexample.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub shrink_time: Duration,
    /// Signing (`--sign-key`; see docs/reports.md).
    #[command(flatten)]
    pub signing: crate::signing::SignArgs,
}

fn line(o: &MutantOutcome) -> String {
    match o.status {
        MutantStatus::Killed => format!(
            "[kill] {:<40} by {}{} after {}, counterexample {} B, {}",
            o.name,
            o.killed_by.as_deref().unwrap_or("?"),
            if o.expected_killer {
                ""
            } else {
                " (not in its kills)"
            },
            plural(o.cases_to_kill.unwrap_or(0), "case"),
            o.counterexample_bytes.unwrap_or(0),
            show_elapsed(Duration::from_millis(o.duration_ms))
        ),
        MutantStatus::Survived => format!(
            "[SURV] {:<40} survived {} ({}) — {}",
            o.name,
            plural_of(o.tried.len(), "invariant"),
            o.file,
            o.why
        ),
        MutantStatus::InstallBroken => format!(
            "[inst] {:<40} does not install ({}): {}",
            o.name,
            o.file,
            o.error.as_deref().unwrap_or("")
        ),
        MutantStatus::Error => {
            format!("[ERR ] {:<40} {}", o.name, o.error.as_deref().unwrap_or(""))
        }
    }
}

/// The control run: the unmutated kernel on every invariant any mutant uses.
struct Control {
    results: Vec<InvariantResult>,
    server: ServerInfo,
    sut: SutInfo,
    /// Every invariant passed: only then are mutants worth running.
    passed: bool,
}

/// Execute `pgconform mutants`.
pub fn mutants(args: MutantsArgs) -> anyhow::Result<i32> {
    ensure_writable(&args.out)?;
    cleanup::install_signal_handler(Duration::from_secs(20));
    let signer = args.signing.load()?;
    let started = Instant::now();
    let started_at = now_rfc3339();
    let sut_dir = args.common.sut_dir();
    let mutants_dir = args
        .mutants
        .clone()
        .unwrap_or_else(|| sut_dir.join("mutants"));
    let all = registry::all(&Options::default());
    let files: Vec<MutantFile> =
        mutant::discover(&mutants_dir, |id| all.iter().any(|i| i.meta().id == id))?;
    let seed = args.common.seed_or_random();
    let shrink = ShrinkPolicy {
        disabled: args.common.no_shrink,
        max_time: args.shrink_time,
    };
    let control = run_control(&args, &files, &mutants_dir, seed, shrink)?;
    let outcomes = if control.passed {
        let opts = MutantRunOptions {
            sut_dir: sut_dir.clone(),
            provision: args.common.server.provision(),
            cases: args.common.cases,
            seed,
            shrink,
            cases_dir: args.out.join("cases"),
        };
        run_mutants(&files, &opts, args.common.jobs, args.common.quiet)
    } else {
        if !args.common.quiet {
            errln!(
                "pgconform mutants: the CONTROL FAILED (the unmutated kernel does not pass); mutants not run"
            );
        }
        Vec::new()
    };
    let matrix = MutantMatrix {
        mutants_dir: mutants_dir.display().to_string(),
        control_passed: control.passed,
        mutants: outcomes,
    };
    let interrupted = cleanup::cancelled();
    let mut report = RunReport::builder(control.server, control.sut, seed)
        .cases_requested(args.common.cases)
        .timing(started_at, elapsed_ms(started))
        .results(
            control.results.iter().map(|r| r.id.clone()).collect(),
            control.results,
        )
        .interrupted(interrupted)
        .mutants(matrix.clone())
        .signed_by(signer.as_ref().map(|k| k.key_id().to_owned()))
        .build();
    let path = write_reports(&args, &mut report, &matrix)?;
    crate::signing::sign_written(
        signer.as_ref(),
        &path,
        &report.integrity_sha256,
        args.common.quiet,
    )?;
    if !args.common.quiet {
        print_summary(&matrix, files.len(), started, seed, &path);
    }
    Ok(exit_code(&report, &matrix, interrupted))
}

/// Run the control: the unmutated kernel must pass every invariant any mutant uses.
fn run_control(
    args: &MutantsArgs,
    files: &[MutantFile],
    mutants_dir: &std::path::Path,
    seed: u64,
    shrink: ShrinkPolicy,
) -> anyhow::Result<Control> {
    let all = registry::all(&Options::default());
    let mut suites: Vec<Suite> = files
        .iter()
        .flat_map(|m| mutant::plan(&m.header, &all))
        .map(|i| i.meta().suite)
        .collect();
    suites.sort();
    suites.dedup();
    let control: Vec<Box<dyn Invariant>> = registry::all(&Options::default())
        .into_iter()
        .filter(|i| suites.contains(&i.meta().suite))
        .collect();
    if !args.common.quiet {
        errln!(
            "pgconform mutants: {} from {}, seed {seed}; control: {} of {} on the unmutated kernel",
            plural_of(files.len(), "mutant"),
            mutants_dir.display(),
            plural_of(control.len(), "invariant"),
            suites
                .iter()
                .map(|s| s.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let control_ids: Vec<&str> = control.iter().map(|i| i.meta().id).collect();
    let session = Session::prepare_for(
        &args.common.sut_dir(),
        None,
        &args.common.server.provision(),
        &suites,
        &control_ids,
    )
    .context("the control (unmutated kernel) cannot be prepared")?;
    let progress = Progress::new(args.common.quiet);
    let results = runner::run(
        &control,
        &session.sandbox,
        &RunOptions {
            jobs: args.common.jobs,
            cases: args.common.cases,
            seed,
            shrink,
            time_budget: None,
        },
        cleanup::cancel_flag(),
        &progress,
    );
    let passed = results.iter().all(|r| r.verdict == Verdict::Passed);
    Ok(Control {
        server: session.server_info(),
        sut: session.sut_info(),
        results,
        passed,
    })
}

/// Run every mutant, `jobs` at once, each on its own server; the outcomes
/// in the order of `files` (a mutant not started after an interrupt has none).
fn run_mutants(
    files: &[MutantFile],
    opts: &MutantRunOptions,
    jobs: usize,
    quiet: bool,
) -> Vec<MutantOutcome> {
    let mut outcomes: Vec<Option<MutantOutcome>> = vec![None; files.len()];
    let next = AtomicUsize::new(0);
    let slots = Mutex::new(&mut outcomes);
    let jobs = jobs.clamp(1, files.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let all = registry::all(&Options::default());
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(m) = files.get(i) else { break };
                    if cleanup::cancelled() {
                        break;
                    }
                    let o = mutant::run_mutant(m, &all, opts, cleanup::cancel_flag());
                    if !quiet {
                        errln!("{}", line(&o));
                    }
                    let mut g = slots.lock().unwrap_or_else(|p| p.into_inner());
                    g[i] = Some(o);
                }
            });
        }
    });
    outcomes.into_iter().flatten().collect()
}

/// Write the case files, the sealed report with its renderings and
/// `mutants.json`; returns the path of `report.json`.
fn write_reports(
    args: &MutantsArgs,
    report: &mut RunReport,
    matrix: &MutantMatrix,
) -> anyhow::Result<PathBuf> {
    crate::casefile::write_cases(report, &args.out, None, None, None)?;
    report.mutants = Some(matrix.clone());
    report.seal();
    let opts = RenderOptions {
        out_dir: args.out.display().to_string(),
        replay_args: String::new(),
    };
    let path = pgconform_reports::write_all(&args.out, report, &opts)
        .with_context(|| format!("cannot write reports into {}", args.out.display()))?;
    let mut text = serde_json::to_string_pretty(matrix)?;
    text.push('\n');
    let json = args.out.join("mutants.json");
    std::fs::write(&json, text).with_context(|| format!("cannot write {}", json.display()))?;
    Ok(path)
}

/// The kill counts, then every mutant that was not killed.
fn print_summary(
    matrix: &MutantMatrix,
    total: usize,
    started: Instant,
    seed: u64,
    path: &std::path::Path,
) {
    errln!(
        "\npgconform mutants: control {}; {} killed, {} survived, {} install-broken, {} of {} in {} (seed {seed}); report: {} (read it: {})",
        if matrix.control_passed { "passed" } else { "FAILED" },
        matrix.count(MutantStatus::Killed),
        matrix.count(MutantStatus::Survived),
        matrix.count(MutantStatus::InstallBroken),
        plural_of(matrix.count(MutantStatus::Error), "error"),
        plural_of(total, "mutant"),
        show_elapsed(started.elapsed()),
        path.display(),
        path.with_file_name("report.html").display()
    );
    for o in matrix
        .mutants
        .iter()
        .filter(|o| o.status != MutantStatus::Killed)
    {
        errln!("  {}", line(o));
    }
}

/// A control failure (the kernel fails an invariant) or a survivor is a 1; a
/// control that could not run (environment errors), a mutant error, a
/// mutant that does not apply (an anchor no longer found, a broken file:
/// it tests nothing) or an interrupt is a 2: never green.
fn exit_code(report: &RunReport, matrix: &MutantMatrix, interrupted: bool) -> i32 {
    let control_failed = report.results.iter().any(|r| r.verdict == Verdict::Failed);
    if control_failed || matrix.count(MutantStatus::Survived) > 0 {
        INVARIANT_FAILED
    } else if !matrix.control_passed
        || matrix.count(MutantStatus::Error) > 0
        || matrix.count(MutantStatus::InstallBroken) > 0
        || interrupted
    {
        USAGE_OR_ENV
    } else {
        OK
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX)
}
