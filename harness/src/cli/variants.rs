//! `pgconform variants`: run every legal variant; each must pass everything.
//!
//! Each variant is one `pgconform run --variant …` on its own server, with the
//! same seed, cases and suites, its reports under `OUT/<variant>/`. A failing
//! invariant on a variant is a defect of the harness (it judged a legal
//! choice): exit 1, naming the variant, the invariant and the case file.

use crate::cli::output::plural_of;
use crate::cli::shared::{ensure_writable, parse_duration, show_elapsed, RunFlags};
use crate::cli::{Cli, Command};
use crate::errln;
use crate::exit_codes::{INVARIANT_FAILED, OK, USAGE_OR_ENV};
use crate::variant::{self, Variant};
use anyhow::Context;
use clap::{Args, Parser, ValueEnum};
use pgconform_reports::{RunReport, Verdict};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Flags of `variants`.
#[derive(Debug, Args)]
pub struct VariantsArgs {
    /// Variant directory (*.sql files, directories with a MANIFEST) or one variant [default: <sut>/variants].
    #[arg(long, value_name = "DIR")]
    pub variants: Option<PathBuf>,
    /// Output directory (one report directory per variant).
    #[arg(long, value_name = "DIR", default_value = "pgconform-variants")]
    pub out: PathBuf,
    /// Suites run on every variant (repeatable).
    #[arg(long, default_value = "all")]
    pub suite: Vec<String>,
    /// Flags shared with `run` and `mutants`.
    #[command(flatten)]
    pub common: RunFlags,
    /// Bound on shrinking one failure.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub shrink_time: Duration,
}

/// What became of one variant.
#[derive(Debug, Clone, Serialize)]
pub struct VariantOutcome {
    /// Its name.
    pub name: String,
    /// Its file or directory.
    pub path: String,
    /// The contract clause that leaves the choice to the kernel.
    pub choice: String,
    /// `passed`, `failed` or `error`.
    pub status: &'static str,
    /// Invariants that failed on it, with their first failure and case file.
    pub failures: Vec<String>,
    /// Why it could not be judged (status `error`).
    pub error: Option<String>,
    /// Its report directory.
    pub out: String,
}

fn run_args(args: &VariantsArgs, sut: &Path, v: &Variant, seed: u64, out: &Path) -> Vec<String> {
    let mut a: Vec<String> = vec!["pgconform".into(), "run".into(), "--quiet".into()];
    let mut flag = |k: &str, v: String| {
        a.push(k.to_owned());
        a.push(v);
    };
    flag("--sut", sut.display().to_string());
    flag("--variant", v.path().display().to_string());
    flag("--out", out.display().to_string());
    flag("--seed", seed.to_string());
    flag("--jobs", args.common.jobs.to_string());
    flag(
        "--shrink-time",
        format!("{}ms", args.shrink_time.as_millis()),
    );
    if let Some(c) = args.common.cases {
        flag("--cases", c.to_string());
    }
    for s in &args.suite {
        flag("--suite", s.clone());
    }
    if let Some(b) = args.common.server.backend.to_possible_value() {
        flag("--backend", b.get_name().to_owned());
    }
    if let Some(d) = &args.common.server.dsn {
        flag("--dsn", d.clone());
    }
    flag("--image", args.common.server.image.clone());
    if args.common.server.allow_any_major {
        a.push("--allow-any-major".into());
    }
    if args.common.no_shrink {
        a.push("--no-shrink".into());
    }
    a
}

fn judge(v: &Variant, code: anyhow::Result<i32>, out: &Path) -> VariantOutcome {
    let mut o = VariantOutcome {
        name: v.header.name.clone(),
        path: v.path().display().to_string(),
        choice: v.header.choice.clone(),
        status: "passed",
        failures: Vec::new(),
        error: None,
        out: out.display().to_string(),
    };
    let report = std::fs::read_to_string(out.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<RunReport>(&t).ok());
    if let Some(r) = &report {
        for res in r.results.iter().filter(|x| x.verdict == Verdict::Failed) {
            let f = res.failures.first();
            o.failures.push(format!(
                "{} failed: {}{}",
                res.id,
                f.map_or("", |f| f.detail.message.as_str()),
                f.and_then(|f| f.case_file.as_deref())
                    .map(|c| format!(" (case {})", out.join(c).display()))
                    .unwrap_or_default()
            ));
        }
    }
    match code {
        Ok(OK) => {}
        Ok(INVARIANT_FAILED) => o.status = "failed",
        Ok(c) => {
            o.status = "error";
            o.error = Some(format!("the run exited {c} (see {})", out.display()));
        }
        Err(e) => {
            o.status = "error";
            o.error = Some(format!("{e:#}"));
        }
    }
    if o.status == "failed" && o.failures.is_empty() {
        o.failures
            .push("the run failed (missing coverage or an unreadable report)".into());
    }
    o
}

/// `[pass]`, `[FAIL]` with each failure, or `[ERR ]`: one variant's line.
fn print_outcome(o: &VariantOutcome) {
    match o.status {
        "passed" => errln!("[pass] {:<36} {}", o.name, o.choice),
        "failed" => {
            errln!("[FAIL] {:<36} {} ({})", o.name, o.choice, o.path);
            for f in &o.failures {
                errln!("         {f}");
            }
        }
        _ => errln!("[ERR ] {:<36} {}", o.name, o.error.as_deref().unwrap_or("")),
    }
}

/// Execute `pgconform variants`.
pub fn variants(args: VariantsArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let sut = args.common.sut_dir();
    let dir = args
        .variants
        .clone()
        .unwrap_or_else(|| sut.join("variants"));
    let found = variant::discover(&dir)?;
    let seed = args.common.seed_or_random();
    ensure_writable(&args.out)?;
    if !args.common.quiet {
        errln!(
            "pgconform variants: {} from {}, seed {seed}; every invariant must pass on each",
            plural_of(found.len(), "variant"),
            dir.display()
        );
    }
    let mut outcomes = Vec::new();
    for v in &found {
        if crate::cleanup::cancelled() {
            break;
        }
        let out = args.out.join(&v.header.name);
        let argv = run_args(&args, &sut, v, seed, &out);
        let code = match Cli::try_parse_from(&argv) {
            Ok(Cli {
                command: Command::Run(a),
                ..
            }) => crate::cli::run::run(a),
            Ok(_) => Err(anyhow::anyhow!("internal: not a run command")),
            Err(e) => Err(anyhow::anyhow!("{e}")),
        };
        let o = judge(v, code, &out);
        if !args.common.quiet {
            print_outcome(&o);
        }
        outcomes.push(o);
    }
    let mut text = serde_json::to_string_pretty(&serde_json::json!({
        "seed": seed,
        "variants_dir": dir.display().to_string(),
        "variants": outcomes,
    }))?;
    text.push('\n');
    let summary = args.out.join("variants.json");
    std::fs::write(&summary, text)
        .with_context(|| format!("cannot write {}", summary.display()))?;
    let count = |s: &str| outcomes.iter().filter(|o| o.status == s).count();
    let (failed, errors) = (count("failed"), count("error"));
    let interrupted = crate::cleanup::cancelled() || outcomes.len() < found.len();
    if !args.common.quiet {
        errln!(
            "\npgconform variants: {} passed, {} failed, {} of {} in {} (seed {seed}); summary: {}",
            count("passed"),
            failed,
            plural_of(errors, "error"),
            plural_of(found.len(), "variant"),
            show_elapsed(started.elapsed()),
            summary.display()
        );
    }
    Ok(if failed > 0 {
        INVARIANT_FAILED
    } else if errors > 0 || interrupted {
        USAGE_OR_ENV
    } else {
        OK
    })
}
