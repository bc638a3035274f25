//! `pgconform report …`: offline tools over report files (merge shards,
//! re-render, verify, print the schema). Never starts a server.

use crate::exit_codes::{INVARIANT_FAILED, OK};
use anyhow::Context;
use clap::{Args, Subcommand};
use pgconform_reports::merge::MergeProblem;
use pgconform_reports::signature::{self, ShardSignature, SigningKey, TrustedKey};
use pgconform_reports::{load_report, merge, schema, LoadedReport, RenderOptions};
use std::path::PathBuf;

/// Flags of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The report tool.
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// Report tools.
#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the reports of a sharded run (`run --shard K/N`) into one.
    ///
    /// Exit 0 merged; 1 refused (tampered, overlapping, mixed runs, incomplete);
    /// 2 a report cannot be read.
    Merge(MergeArgs),
    /// Write junit.xml, report.md and report.html for a report.json.
    Render(RenderArgs),
    /// Check a report's integrity hash (exit 0 valid, 1 edited, 2 unreadable).
    Verify(VerifyArgs),
    /// Print the JSON schema of report.json.
    Schema,
}

/// Flags of `report merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard reports.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Output file (required).
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Write a merged report even if shards are missing (`gate` refuses it).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Also write junit.xml, report.md and report.html next to the output.
    #[arg(long)]
    pub render: bool,
    /// A public key (file or base64) whose shard signatures are verified and recorded (repeatable) [default: none].
    ///
    /// The `--sign-key`'s own public key is trusted too. A shard whose
    /// signature does not verify is refused.
    #[arg(long = "trusted-key", value_name = "PUB")]
    pub trusted_keys: Vec<String>,
    /// Signing of the merged report (`--sign-key`; see docs/reports.md).
    #[command(flatten)]
    pub signing: crate::signing::SignArgs,
}

/// Flags of `report render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The report.
    pub report: PathBuf,
    /// Output directory [default: the report's directory].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Flags of `report verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The report.
    pub report: PathBuf,
}

/// Execute `pgconform report …`.
pub fn report(args: ReportArgs) -> anyhow::Result<i32> {
    match args.command {
        ReportCommand::Merge(a) => merge_cmd(a),
        ReportCommand::Render(a) => render_cmd(a),
        ReportCommand::Verify(a) => {
            let l = load_report(&a.report)?;
            if l.integrity_ok() {
                crate::outln!(
                    "{}: integrity ok ({})",
                    a.report.display(),
                    l.report.integrity_sha256
                );
                Ok(OK)
            } else {
                crate::errln!(
                    "{}: integrity FAILED: the sha256 does not match the content (edited or damaged)",
                    a.report.display()
                );
                Ok(INVARIANT_FAILED)
            }
        }
        ReportCommand::Schema => {
            crate::out!("{}", schema::report_schema_text());
            Ok(OK)
        }
    }
}

fn render_options(dir: &std::path::Path) -> RenderOptions {
    RenderOptions {
        out_dir: dir.display().to_string(),
        replay_args: String::new(),
    }
}

fn merge_cmd(a: MergeArgs) -> anyhow::Result<i32> {
    let signer = a.signing.load()?;
    let mut trusted = crate::signing::trusted_keys(&a.trusted_keys)?;
    trusted.extend(signer.as_ref().map(SigningKey::trusted));
    let mut loaded = Vec::new();
    for p in &a.reports {
        loaded.push(load_report(p)?);
    }
    let (signatures, sig_problems) = shard_signatures(&a.reports, &loaded, &trusted)?;
    let result = match merge::merge_signed(&loaded, &signatures, a.allow_incomplete) {
        Ok(_) if !sig_problems.is_empty() => Err(sig_problems),
        Err(problems) => Err(sig_problems.into_iter().chain(problems).collect()),
        ok => ok,
    };
    match result {
        Err(problems) => {
            crate::errln!(
                "pgconform report merge: REFUSED ({} problem{}):",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for p in problems {
                crate::errln!("  - {p}");
            }
            Ok(INVARIANT_FAILED)
        }
        Ok(mut merged) => {
            merged.signature_key_id = signer.as_ref().map(|k| k.key_id().to_owned());
            merged.seal();
            let dir = a
                .output
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut text = serde_json::to_string_pretty(&merged)?;
            text.push('\n');
            std::fs::write(&a.output, text)
                .with_context(|| format!("cannot write {}", a.output.display()))?;
            crate::signing::sign_written(
                signer.as_ref(),
                &a.output,
                &merged.integrity_sha256,
                false,
            )?;
            if a.render {
                pgconform_reports::write_renderings(&dir, &merged, &render_options(&dir))
                    .with_context(|| format!("cannot write reports into {}", dir.display()))?;
            }
            let total = merged.shards.first().map_or(0, |s| s.shard.total);
            crate::errln!(
                "pgconform report merge: {} of {total} shard(s), {} invariants -> {}",
                merged.shards.len(),
                merged.results.len(),
                a.output.display()
            );
            Ok(OK)
        }
    }
}

/// Every shard that carries a signature is verified (with a trusted key of
/// its ID) before its content is taken over: each shard's verified
/// signature, and the problems of those that do not verify.
fn shard_signatures(
    paths: &[PathBuf],
    loaded: &[LoadedReport],
    trusted: &[TrustedKey],
) -> anyhow::Result<(Vec<Option<ShardSignature>>, Vec<MergeProblem>)> {
    let mut signatures = Vec::new();
    let mut problems = Vec::new();
    for (p, l) in paths.iter().zip(loaded) {
        let text = signature::read_signature(p)
            .with_context(|| format!("cannot read {}", signature::signature_path(p).display()))?;
        match merge::shard_signature(l, text.as_deref(), trusted) {
            Ok((sig, warning)) => {
                signatures.push(sig);
                if let Some(w) = warning {
                    crate::errln!("pgconform report merge: warning: {w}");
                }
            }
            Err(problem) => {
                signatures.push(None);
                problems.push(problem);
            }
        }
    }
    Ok((signatures, problems))
}

fn render_cmd(a: RenderArgs) -> anyhow::Result<i32> {
    let l = load_report(&a.report)?;
    if !l.integrity_ok() {
        crate::errln!(
            "pgconform: warning: {}: integrity hash does not verify; rendering anyway",
            a.report.display()
        );
    }
    let dir = a.out.clone().unwrap_or_else(|| {
        a.report
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), PathBuf::from)
    });
    let opts = render_options(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    pgconform_reports::write_renderings(&dir, &l.report, &opts)
        .with_context(|| format!("cannot write reports into {}", dir.display()))?;
    crate::errln!(
        "pgconform: wrote junit.xml, report.md and report.html into {}",
        dir.display()
    );
    Ok(OK)
}
