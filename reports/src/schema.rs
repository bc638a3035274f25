//! The JSON schema of `report.json`, derived from the Rust types.
//!
//! `reports/schema/report.schema.json` is the checked-in copy; a workspace test
//! regenerates it and fails on any difference, so the format cannot change
//! without the schema (and its review) changing too. Regenerate with
//! `pgconform report schema > reports/schema/report.schema.json`.

use crate::run_report::RunReport;

/// The schema as a JSON value.
pub fn report_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(RunReport);
    serde_json::to_value(&schema).unwrap_or(serde_json::Value::Null)
}

/// The schema as pretty JSON with a trailing newline (the checked-in form).
pub fn report_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&report_schema()).unwrap_or_default();
    s.push('\n');
    s
}
