//! Reaping what earlier runs left behind after a crash or SIGKILL.
//!
//! Only resources whose owner is provably gone (see [`super::owner`]) are
//! removed; anything else — another live run, another host — is left alone.

use super::embedded::{runs_root, stop_pid};
use super::owner::Owner;
use std::process::Command;

/// Remove orphaned embedded clusters (run dirs and their postmasters).
pub fn reap_embedded() {
    let Ok(entries) = std::fs::read_dir(runs_root()) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("run-") || name.starts_with("initdb-")) {
            continue;
        }
        let owner: Option<Owner> = std::fs::read_to_string(dir.join("owner.json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok());
        let gone = match owner {
            Some(o) => o.provably_gone(),
            // initdb scratch dirs carry the pid in their name only.
            None => name
                .split('-')
                .nth(1)
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
        };
        if !gone {
            continue;
        }
        let postmaster = std::fs::read_to_string(dir.join("data").join("postmaster.pid"))
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<u32>().ok()));
        match postmaster {
            Some(pid) if is_postgres_of(pid, &dir) => stop_pid(pid, &dir),
            _ => {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        crate::errln!("pgconform: reaped orphaned cluster {}", dir.display());
    }
}

fn is_postgres_of(pid: u32, dir: &std::path::Path) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| {
            let c = String::from_utf8_lossy(&c);
            c.contains("postgres") && c.contains(&*dir.to_string_lossy())
        })
        .unwrap_or(false)
}

/// Remove orphaned containers labelled with a gone owner.
pub fn reap_docker() {
    let Ok(out) = Command::new("docker")
        .args([
            "ps",
            "-a",
            "--filter",
            &format!("label={}", super::docker::OWNER_LABEL),
            "--format",
            &format!(
                "{{{{.ID}}}}\t{{{{.Label \"{}\"}}}}",
                super::docker::OWNER_LABEL
            ),
        ])
        .output()
    else {
        return;
    };
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Some((id, label)) = line.split_once('\t') else {
            continue;
        };
        let Ok(owner) = serde_json::from_str::<Owner>(label) else {
            continue;
        };
        if owner.provably_gone() {
            let _ = Command::new("docker").args(["rm", "-f", "-v", id]).output();
            crate::errln!("pgconform: reaped orphaned container {id}");
        }
    }
}

/// Drop orphaned throwaway databases on a dsn server (marked by comment).
pub fn reap_dsn(config: &postgres::Config) {
    let Ok(mut client) = config.connect(postgres::NoTls) else {
        return;
    };
    let Ok(rows) = client.query(
        "SELECT d.datname, shobj_description(d.oid, 'pg_database') FROM pg_database d \
         WHERE d.datname LIKE 'pgc\\_%' AND shobj_description(d.oid, 'pg_database') LIKE 'pgconform:%'",
        &[],
    ) else {
        return;
    };
    for row in rows {
        let name: String = row.get(0);
        let comment: String = row.get(1);
        let Some(json) = comment.strip_prefix("pgconform:") else {
            continue;
        };
        let Ok(owner) = serde_json::from_str::<Owner>(json) else {
            continue;
        };
        if owner.provably_gone() {
            let sql = format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                pgconform_scenarios::pg::quote_ident(&name)
            );
            if client.batch_execute(&sql).is_ok() {
                crate::errln!("pgconform: reaped orphaned database {name}");
            }
        }
    }
}
