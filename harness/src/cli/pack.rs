//! `pgconform pack verify|diff`: offline checks of evidence packs.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Flags of `pack`.
#[derive(Debug, Args)]
pub struct PackArgs {
    /// The pack command.
    #[command(subcommand)]
    pub command: PackCommand,
}

/// Pack subcommands.
#[derive(Debug, Subcommand)]
pub enum PackCommand {
    /// Recompute a pack's row digests offline and check any it declares.
    ///
    /// The `digests` key is optional (CONTRACT.md §1, v2): when present every
    /// declared list is checked, when absent the pack verifies on structure
    /// alone; further keys are allowed.
    Verify {
        /// The evidence pack (`cpo.evidence_pack/v1` JSON).
        pack: PathBuf,
        /// Also fail unless every row carries a declared digest.
        ///
        /// That is: the pack has `digests`, with a list for every type that has rows.
        #[arg(long)]
        require_digests: bool,
    },
    /// Per-type multiset diff of two packs (A is the source, B the target).
    Diff {
        /// Source pack (e.g. a production export).
        a: PathBuf,
        /// Target pack (e.g. a restored backup's export).
        b: PathBuf,
    },
}

/// Run a pack command: 0 when verified / equal, 1 when not, 2 on bad input.
pub fn pack(args: PackArgs) -> anyhow::Result<i32> {
    match args.command {
        PackCommand::Verify {
            pack,
            require_digests,
        } => {
            let v = pgconform_oracle::pack::verify_pack_file(&pack)?;
            crate::out!("{v}");
            let ok = if require_digests {
                if v.is_ok() && !v.is_complete() {
                    crate::outln!("  --require-digests: not every row carries a declared digest");
                }
                v.is_complete()
            } else {
                v.is_ok()
            };
            Ok(if ok {
                crate::exit_codes::OK
            } else {
                crate::exit_codes::INVARIANT_FAILED
            })
        }
        PackCommand::Diff { a, b } => {
            let d = pgconform_oracle::pack::diff_pack_files(&a, &b)?;
            crate::out!("{d}");
            Ok(if d.is_equal() {
                crate::exit_codes::OK
            } else {
                crate::exit_codes::INVARIANT_FAILED
            })
        }
    }
}
