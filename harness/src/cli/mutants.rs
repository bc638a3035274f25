//! `pgconform mutants`: run every mutant and require each to be killed.

use crate::cleanup;
use crate::cli::replay::ServerArgs;
use crate::exit_codes::{INVARIANT_FAILED, OK, USAGE_OR_ENV};
use crate::mutant::{self, MutantFile, MutantRunOptions};
use crate::progress::Progress;
use crate::runner::{self, RunOptions};
use crate::session::Session;
use anyhow::Context;
use clap::Args;
use pgconform_reports::{
    MutantMatrix, MutantOutcome, MutantStatus, RenderOptions, RunReport, Verdict, FORMAT_VERSION,
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
    /// SUT directory (default: the bundled kernel).
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Mutant directory, searched recursively for *.sql, or one mutant file
    /// (default: `<sut>/mutants`).
    #[arg(long, value_name = "DIR")]
    pub mutants: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "pgconform-mutants")]
    pub out: PathBuf,
    /// Cases per invariant, at least 1 (default: each invariant's own).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub cases: Option<u32>,
    /// Run seed (default: random, printed and recorded).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Mutants run in parallel, each on its own server.
    #[arg(long, default_value_t = crate::cli::run::default_jobs())]
    pub jobs: usize,
    /// Do not shrink the killing counterexamples.
    #[arg(long)]
    pub no_shrink: bool,
    /// Bound on shrinking one counterexample.
    #[arg(long, value_parser = crate::cli::run::parse_duration, default_value = "10s")]
    pub shrink_time: Duration,
    /// Server flags.
    #[command(flatten)]
    pub server: ServerArgs,
    /// Less output.
    #[arg(long, short)]
    pub quiet: bool,
    /// Signing (`--sign-key`; see docs/reports.md).
    #[command(flatten)]
    pub signing: crate::signing::SignArgs,
}

fn line(o: &MutantOutcome) -> String {
    match o.status {
        MutantStatus::Killed => format!(
            "[kill] {:<40} by {}{} after {} cases, counterexample {} B, {:.2}s",
            o.name,
            o.killed_by.as_deref().unwrap_or("?"),
            if o.expected_killer {
                ""
            } else {
                " (not in its kills)"
            },
            o.cases_to_kill.unwrap_or(0),
            o.counterexample_bytes.unwrap_or(0),
            o.duration_ms as f64 / 1000.0
        ),
        MutantStatus::Survived => format!(
            "[SURV] {:<40} survived {} invariants ({}) — {}",
            o.name,
            o.tried.len(),
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

/// Execute `pgconform mutants`.
pub fn mutants(args: MutantsArgs) -> anyhow::Result<i32> {
    crate::cli::run::ensure_writable(&args.out)?;
    cleanup::install_signal_handler(Duration::from_secs(20));
    let signer = args.signing.load()?;
    let started = Instant::now();
    let started_at = crate::cli::run::now_rfc3339();
    let sut_dir = args
        .sut
        .clone()
        .unwrap_or_else(crate::sut::bundled_kernel_dir);
    let mutants_dir = args
        .mutants
        .clone()
        .unwrap_or_else(|| sut_dir.join("mutants"));
    let all = registry::all(&Options::default());
    let files: Vec<MutantFile> =
        mutant::discover(&mutants_dir, |id| all.iter().any(|i| i.meta().id == id))?;
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let provision = args.server.provision();
    let shrink = ShrinkPolicy {
        disabled: args.no_shrink,
        max_time: args.shrink_time,
    };

    // Control: the unmutated kernel must pass every invariant any mutant uses.
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
    if !args.quiet {
        crate::errln!(
            "pgconform mutants: {} mutants from {}, seed {seed}; control: {} invariants of {} on the unmutated kernel",
            files.len(),
            mutants_dir.display(),
            control.len(),
            suites.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ")
        );
    }
    let control_ids: Vec<&str> = control.iter().map(|i| i.meta().id).collect();
    let session = Session::prepare_for(&sut_dir, None, &provision, &suites, &control_ids)
        .context("the control (unmutated kernel) cannot be prepared")?;
    let progress = Progress::new(args.quiet);
    let control_results = runner::run(
        &control,
        &session.sandbox,
        &RunOptions {
            jobs: args.jobs,
            cases: args.cases,
            seed,
            shrink,
            time_budget: None,
        },
        cleanup::cancel_flag(),
        &progress,
    );
    let server = session.server_info();
    let sut = session.sut_info();
    drop(session);
    let control_passed = control_results.iter().all(|r| r.verdict == Verdict::Passed);

    let mut outcomes: Vec<Option<MutantOutcome>> = vec![None; files.len()];
    if control_passed {
        let opts = MutantRunOptions {
            sut_dir: sut_dir.clone(),
            provision: provision.clone(),
            cases: args.cases,
            seed,
            shrink,
            cases_dir: args.out.join("cases"),
        };
        let next = AtomicUsize::new(0);
        let slots = Mutex::new(&mut outcomes);
        let jobs = args.jobs.clamp(1, files.len().max(1));
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
                        let o = mutant::run_mutant(m, &all, &opts, cleanup::cancel_flag());
                        if !args.quiet {
                            crate::errln!("{}", line(&o));
                        }
                        let mut g = slots.lock().unwrap_or_else(|p| p.into_inner());
                        g[i] = Some(o);
                    }
                });
            }
        });
    } else if !args.quiet {
        crate::errln!(
            "pgconform mutants: the CONTROL FAILED (the unmutated kernel does not pass); mutants not run"
        );
    }
    let matrix = MutantMatrix {
        mutants_dir: mutants_dir.display().to_string(),
        control_passed,
        mutants: outcomes.into_iter().flatten().collect(),
    };
    let interrupted = cleanup::cancelled();
    let mut report = RunReport {
        format_version: FORMAT_VERSION,
        pgconform_version: env!("CARGO_PKG_VERSION").to_owned(),
        git_revision: option_env!("PGCONFORM_GIT_REVISION").map(str::to_owned),
        server,
        sut,
        seed,
        cases_requested: args.cases,
        started_at,
        duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        selection: control_results.iter().map(|r| r.id.clone()).collect(),
        results: control_results,
        shard: None,
        shards: Vec::new(),
        coverage_requirements: Vec::new(),
        interrupted,
        mutants: Some(matrix.clone()),
        signature_key_id: signer.as_ref().map(|k| k.key_id().to_owned()),
        integrity_sha256: String::new(),
    };
    crate::casefile::write_cases(&mut report, &args.out, None, None, None)?;
    report.mutants = Some(matrix.clone());
    report.seal();
    let opts = RenderOptions {
        out_dir: args.out.display().to_string(),
        replay_args: String::new(),
    };
    let path = pgconform_reports::write_all(&args.out, &report, &opts)
        .with_context(|| format!("cannot write reports into {}", args.out.display()))?;
    crate::signing::sign_written(signer.as_ref(), &path, &report.integrity_sha256, args.quiet)?;
    let mut text = serde_json::to_string_pretty(&matrix)?;
    text.push('\n');
    std::fs::write(args.out.join("mutants.json"), text)
        .with_context(|| format!("cannot write {}", args.out.join("mutants.json").display()))?;

    let survived = matrix.count(MutantStatus::Survived);
    let broken = matrix.count(MutantStatus::InstallBroken);
    let errors = matrix.count(MutantStatus::Error);
    if !args.quiet {
        crate::errln!(
            "\npgconform mutants: control {}; {} killed, {} survived, {} install-broken, {} errors of {} in {:.1}s (seed {seed}); report: {}",
            if control_passed { "passed" } else { "FAILED" },
            matrix.count(MutantStatus::Killed),
            survived,
            broken,
            errors,
            files.len(),
            started.elapsed().as_secs_f64(),
            path.display()
        );
        for o in matrix
            .mutants
            .iter()
            .filter(|o| o.status != MutantStatus::Killed)
        {
            crate::errln!("  {}", line(o));
        }
    }
    // A control failure (the kernel fails an invariant) is a 1; a control that
    // could not run (environment errors) is a 2, like a mutant error.
    let control_failed = report.results.iter().any(|r| r.verdict == Verdict::Failed);
    Ok(if control_failed || survived > 0 {
        INVARIANT_FAILED
    } else if !control_passed || errors > 0 || broken > 0 || interrupted {
        // A mutant that does not apply (an anchor no longer found, a broken
        // file) tests nothing: never green.
        USAGE_OR_ENV
    } else {
        OK
    })
}
