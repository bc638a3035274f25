//! The `pgconform` binary.

use clap::Parser;

fn main() {
    let cli = pgconform::cli::Cli::parse();
    let code = pgconform::cli::dispatch(cli);
    std::process::exit(code);
}
