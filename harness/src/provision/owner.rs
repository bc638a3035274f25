//! Who owns a resource: enough to prove later that its creator is gone.
//!
//! An owner is (host, boot id, pid, process start time). A resource is an
//! orphan only if its owner was on this host and either the machine rebooted
//! since or no live process has that pid with that start time.

use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The creator of a cluster, container or database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Host name.
    pub host: String,
    /// `/proc/sys/kernel/random/boot_id`.
    pub boot: String,
    /// Process id.
    pub pid: u32,
    /// Process start time in clock ticks since boot (field 22 of /proc/PID/stat).
    pub start: u64,
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may contain spaces; fields after it are fixed.
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(19)?.parse().ok()
}

/// This process as an owner.
pub fn me() -> &'static Owner {
    static ME: OnceLock<Owner> = OnceLock::new();
    ME.get_or_init(|| {
        let pid = std::process::id();
        Owner {
            host: read_trim("/proc/sys/kernel/hostname"),
            boot: read_trim("/proc/sys/kernel/random/boot_id"),
            pid,
            start: start_time(pid).unwrap_or(0),
        }
    })
}

impl Owner {
    /// True only when we can prove the owner no longer runs.
    pub fn provably_gone(&self) -> bool {
        let here = me();
        if self.host != here.host {
            return false;
        }
        if self.boot != here.boot {
            return true;
        }
        start_time(self.pid) != Some(self.start)
    }
}

/// A short, unique, lowercase prefix for this process's databases.
pub fn db_prefix() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX
        .get_or_init(|| format!("pgc_{}_{:04x}", std::process::id(), fastrand::u16(..)))
        .clone()
}
