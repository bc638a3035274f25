//! `pgconform report …`: offline tools over report files (merge shards,
//! re-render, verify, print the schema). Never starts a server.

use crate::exit_codes::{INVARIANT_FAILED, OK};
use anyhow::Context;
use clap::{Args, Subcommand};
use pgconform_reports::{load_report, merge, schema, RenderOptions};
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
    /// Output file.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Write a merged report even if shards are missing (`gate` refuses it).
    #[arg(long)]
    pub allow_incomplete: bool,
    /// Also write junit.xml, report.md and report.html next to the output.
    #[arg(long)]
    pub render: bool,
}

/// Flags of `report render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The report.
    pub report: PathBuf,
    /// Output directory (default: the report's directory).
    #[arg(long)]
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
                println!(
                    "{}: integrity ok ({})",
                    a.report.display(),
                    l.report.integrity_sha256
                );
                Ok(OK)
            } else {
                eprintln!(
                    "{}: integrity FAILED: the sha256 does not match the content (edited or damaged)",
                    a.report.display()
                );
                Ok(INVARIANT_FAILED)
            }
        }
        ReportCommand::Schema => {
            print!("{}", schema::report_schema_text());
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
    let mut loaded = Vec::new();
    for p in &a.reports {
        loaded.push(load_report(p)?);
    }
    match merge::merge(&loaded, a.allow_incomplete) {
        Err(problems) => {
            eprintln!(
                "pgconform report merge: REFUSED ({} problem{}):",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            for p in problems {
                eprintln!("  - {p}");
            }
            Ok(INVARIANT_FAILED)
        }
        Ok(merged) => {
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
            if a.render {
                pgconform_reports::write_renderings(&dir, &merged, &render_options(&dir))
                    .with_context(|| format!("cannot write reports into {}", dir.display()))?;
            }
            let total = merged.shards.first().map_or(0, |s| s.shard.total);
            eprintln!(
                "pgconform report merge: {} of {total} shard(s), {} invariants -> {}",
                merged.shards.len(),
                merged.results.len(),
                a.output.display()
            );
            Ok(OK)
        }
    }
}

fn render_cmd(a: RenderArgs) -> anyhow::Result<i32> {
    let l = load_report(&a.report)?;
    if !l.integrity_ok() {
        eprintln!(
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
    eprintln!(
        "pgconform: wrote junit.xml, report.md and report.html into {}",
        dir.display()
    );
    Ok(OK)
}
