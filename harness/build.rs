//! Records the git revision pgconform is built from (`PGCONFORM_GIT_REVISION`),
//! when git and a repository are available; reports carry it.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PGCONFORM_GIT_REVISION");
    if let Ok(rev) = std::env::var("PGCONFORM_GIT_REVISION") {
        println!("cargo:rustc-env=PGCONFORM_GIT_REVISION={rev}");
        return;
    }
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        println!("cargo:rerun-if-changed={dir}/refs/heads");
    }
    if let Some(rev) = git(&["rev-parse", "HEAD"]).filter(|r| r.len() == 40) {
        println!("cargo:rustc-env=PGCONFORM_GIT_REVISION={rev}");
    }
}
