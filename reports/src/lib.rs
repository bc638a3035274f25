//! The run result model of pgconform and its report writers.
//!
//! This crate is pure: it consumes serialisable results and never talks to
//! Postgres. Machine output (`report.json`, `mutants.json`, the JSON event
//! stream) is API and carries a format version; `report.md`, `report.html`,
//! `junit.xml` and TAP are renderings of the same data.

pub mod coverage;
pub mod events;
pub mod gate;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod mutants;
pub mod report_builder;
pub mod run_report;
pub mod schema;
pub mod shard;
pub mod signature;
pub mod tap;
pub mod text;

pub use coverage::CoverageRequirement;
pub use model::*;
pub use mutants::{MutantMatrix, MutantOutcome, MutantStatus, TriedInvariant};
pub use report_builder::RunReportBuilder;
pub use run_report::{
    load_report, parse_report, LoadedReport, ReportError, RunReport, ServerInfo, SutFile, SutInfo,
};
pub use shard::{ShardRecord, ShardSpec};
pub use text::{json_rows_text, json_text, RenderOptions};

/// Write `junit.xml`, `report.md` and `report.html` for `report` into `dir`.
pub fn write_renderings(
    dir: &std::path::Path,
    report: &RunReport,
    opts: &RenderOptions,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let junit = junit::render(report, opts).map_err(std::io::Error::other)?;
    std::fs::write(dir.join("junit.xml"), junit)?;
    std::fs::write(dir.join("report.md"), markdown::render(report, opts))?;
    std::fs::write(dir.join("report.html"), html::render(report, opts))?;
    Ok(())
}

/// Write `report.json` and its renderings into `dir`; returns the JSON's path.
pub fn write_all(
    dir: &std::path::Path,
    report: &RunReport,
    opts: &RenderOptions,
) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(report).map_err(std::io::Error::other)?;
    let path = dir.join("report.json");
    std::fs::write(&path, json + "\n")?;
    write_renderings(dir, report, opts)?;
    Ok(path)
}

/// Re-exported so consumers (and tests) can parse `junit.xml` with the same crate.
pub use quick_junit;
