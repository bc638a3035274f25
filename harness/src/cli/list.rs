//! `pgconform list`: every invariant.

use clap::{Args, ValueEnum};
use pgconform_scenarios::invariant::InvariantMeta;
use pgconform_scenarios::registry::{self, Options};

/// Output format of `list`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    /// Aligned text.
    Text,
    /// A JSON array of invariant descriptions.
    Json,
}

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Print the invariant registry.
pub fn list(args: ListArgs) -> anyhow::Result<i32> {
    let all = registry::all(&Options::default());
    match args.format {
        ListFormat::Json => {
            let metas: Vec<_> = all.iter().map(|i| i.meta()).collect();
            crate::outln!("{}", serde_json::to_string_pretty(&metas)?);
        }
        ListFormat::Text => {
            let metas: Vec<_> = all.iter().map(|i| i.meta()).collect();
            for line in aligned(&metas) {
                crate::outln!("{line}");
            }
        }
    }
    Ok(crate::exit_codes::OK)
}

/// One line per invariant, columns padded to their widest cell:
/// ID, suite, default cases, seed document, title (last: it varies most).
fn aligned(metas: &[&InvariantMeta]) -> Vec<String> {
    let width = |cells: &mut dyn Iterator<Item = usize>| cells.max().unwrap_or(0);
    // The count right-aligned, its noun left-aligned: "  8 cases", "  1 case ".
    let cases_w = width(&mut metas.iter().map(|m| m.default_cases.to_string().len()));
    let cases: Vec<String> = metas
        .iter()
        .map(|m| {
            let noun = if m.default_cases == 1 {
                "case"
            } else {
                "cases"
            };
            format!("{:>cases_w$} {noun:<5}", m.default_cases)
        })
        .collect();
    let id_w = width(&mut metas.iter().map(|m| m.id.len()));
    let suite_w = width(&mut metas.iter().map(|m| m.suite.name().len()));
    let seed_w = width(&mut metas.iter().map(|m| m.seed.len() + 2));
    metas
        .iter()
        .zip(&cases)
        .map(|(m, c)| {
            format!(
                "{:<id_w$}  {:<suite_w$}  {c}  {:<seed_w$}  {}",
                m.id,
                m.suite.name(),
                format!("[{}]", m.seed),
                m.title
            )
        })
        .collect()
}
