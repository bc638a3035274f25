//! `pgconform gate REPORT.json`: the release gate.
//!
//! Exit 0 only when the report verifies and shows every required invariant
//! passed on exactly the SUT being released; 1 with every reason otherwise
//! (edited, foreign, failing, incomplete); 2 when the report cannot be read or
//! is not a pgconform report at all (unreadable, truncated, not JSON, newer format).

use crate::exit_codes::{INVARIANT_FAILED, OK};
use anyhow::bail;
use clap::Args;
use pgconform_reports::gate::{self, ExpectedSut, GatePolicy};
use pgconform_reports::{load_report, CoverageRequirement};
use pgconform_scenarios::invariant::Suite;
use pgconform_scenarios::registry::{self, Options};
use std::path::PathBuf;

/// Flags of `gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// The report to judge (`report.json` of a run, or a merged report).
    pub report: PathBuf,
    /// The SUT being released; its fingerprint must match the report's [default: the bundled kernel].
    #[arg(long, value_name = "DIR")]
    pub sut: Option<PathBuf>,
    /// Minimum cases every required invariant must have checked [default: each invariant's own, see `list`].
    #[arg(long, value_name = "N")]
    pub min_cases: Option<u64>,
    /// Required invariant ID or suite name (repeatable) [default: every invariant].
    #[arg(long = "require", value_name = "ID|SUITE")]
    pub require: Vec<String>,
    /// Required coverage class, `CLASS` or `ID:CLASS` (repeatable) [default: none].
    #[arg(long = "require-coverage", value_name = "[ID:]CLASS")]
    pub require_coverage: Vec<String>,
    /// Accept a report from a server that is not PostgreSQL 16.
    #[arg(long)]
    pub allow_any_major: bool,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
    /// Require a signature (`REPORT.minisig`) by this public key, a `.pub` file or its base64 (repeatable) [default: not checked].
    ///
    /// Any of the keys given will do. A merged report also needs every shard
    /// signed by one of them. Without it, authenticity is not checked (and
    /// the gate says so).
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<String>,
    /// The report's signature file [default: REPORT.minisig].
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
}

/// Expand `--require` values into invariant IDs (suite names expand to
/// every invariant of the suite; empty means every invariant).
pub fn expand_required(require: &[String]) -> anyhow::Result<Vec<String>> {
    let all = registry::all(&Options::default());
    let mut ids: Vec<String> = Vec::new();
    let mut push = |id: &str| {
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_owned());
        }
    };
    if require.is_empty() {
        for i in &all {
            push(i.meta().id);
        }
    }
    for r in require {
        if r == "all" {
            all.iter().for_each(|i| push(i.meta().id));
        } else if let Some(suite) = Suite::parse(r) {
            all.iter()
                .filter(|i| i.meta().suite == suite)
                .for_each(|i| push(i.meta().id));
        } else if all.iter().any(|i| i.meta().id == r) {
            push(r);
        } else {
            bail!("--require {r}: not an invariant ID or suite name (see `pgconform list`)");
        }
    }
    Ok(ids)
}

/// Parse `--require-coverage` values against the registry's IDs.
pub fn parse_coverage(specs: &[String]) -> anyhow::Result<Vec<CoverageRequirement>> {
    let all = registry::all(&Options::default());
    let known = |id: &str| all.iter().any(|i| i.meta().id == id);
    specs
        .iter()
        .map(|s| CoverageRequirement::parse(s, known).map_err(anyhow::Error::from))
        .collect()
}

/// Execute `pgconform gate`.
pub fn gate(args: GateArgs) -> anyhow::Result<i32> {
    let required = expand_required(&args.require)?;
    let require_coverage = parse_coverage(&args.require_coverage)?;
    let loaded = load_report(&args.report)?;
    let sut_dir = args
        .sut
        .clone()
        .unwrap_or_else(crate::sut::bundled_kernel_dir);
    let sut = crate::sut::load(&sut_dir, None)?;
    let expected = ExpectedSut {
        dir: sut_dir.display().to_string(),
        fingerprint: sut.fingerprint.clone(),
        files: crate::sut::report_files(&sut),
    };
    let policy = GatePolicy {
        required,
        min_cases: args.min_cases.unwrap_or(1),
        min_cases_of: match args.min_cases {
            Some(_) => Default::default(),
            None => pgconform_scenarios::registry::all(&Default::default())
                .iter()
                .map(|i| (i.meta().id.to_owned(), u64::from(i.meta().default_cases)))
                .collect(),
        },
        sut: Some(expected),
        require_coverage,
        allow_any_major: args.allow_any_major,
    };
    let mut reasons = gate::evaluate(&loaded, &policy);
    let authenticity = crate::signing::gate_signature(
        &loaded,
        &args.report,
        args.signature.as_deref(),
        &args.trusted_keys,
        &mut reasons,
    )?;
    if !args.quiet || !reasons.is_empty() {
        crate::errln!("pgconform gate: {authenticity}");
    }
    if reasons.is_empty() {
        if !args.quiet {
            crate::errln!(
                "pgconform gate: PASS: {} verifies; {} required invariants passed with >= {} cases on SUT {}",
                args.report.display(),
                policy.required.len(),
                args.min_cases
                    .map_or_else(|| "their default".to_owned(), |n| n.to_string()),
                &sut.fingerprint[..12.min(sut.fingerprint.len())]
            );
        }
        return Ok(OK);
    }
    crate::errln!(
        "pgconform gate: REFUSED: {} ({} reason{}):",
        args.report.display(),
        reasons.len(),
        if reasons.len() == 1 { "" } else { "s" }
    );
    for r in &reasons {
        crate::errln!("  - {r}");
    }
    Ok(INVARIANT_FAILED)
}
