//! Differential helper: reads one hex-encoded JSON text per stdin line and
//! prints, per line, the hex of its canonical `jsonb` text or `ERR <message>`.
//!
//! `cargo run -p pgconform-oracle --example render_hex < inputs.hex`
use std::io::{BufRead, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        match hex::decode(line.trim()) {
            Err(e) => writeln!(out, "ERR bad hex: {e}")?,
            Ok(bytes) => match pgconform_oracle::render_bytes(&bytes) {
                Ok(text) => writeln!(out, "{}", hex::encode(text))?,
                Err(e) => writeln!(out, "ERR {e}")?,
            },
        }
    }
    Ok(())
}
