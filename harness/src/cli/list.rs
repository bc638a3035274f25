//! `pgconform list`: every invariant.

use clap::{Args, ValueEnum};
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
            println!("{}", serde_json::to_string_pretty(&metas)?);
        }
        ListFormat::Text => {
            for i in &all {
                let m = i.meta();
                println!(
                    "{:<22} {:<11} {:>4} cases  {}  [{}]",
                    m.id, m.suite, m.default_cases, m.title, m.seed
                );
            }
        }
    }
    Ok(crate::exit_codes::OK)
}
