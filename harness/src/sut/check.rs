//! The up-front SUT check that needs no server: the named scripts the
//! selected invariants run, and no transaction control in any file the
//! harness runs (contract §0, "The SUT directory").

use super::statements;
use pgconform_scenarios::contract;
use pgconform_scenarios::sandbox::{SqlFile, Sut};

/// One reason a SUT is refused before any invariant runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SutProblem {
    /// Where: `file:line`, `file` or the manifest.
    pub at: String,
    /// What is wrong, in one line.
    pub message: String,
    /// The contract clause it breaks.
    pub clause: &'static str,
}

impl std::fmt::Display for SutProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.at, self.message, self.clause)
    }
}

const TX_CLAUSE: &str = "contract §0: install files and scripts contain no transaction control";

fn transaction_control(sut: &Sut, file: &SqlFile, what: &str, out: &mut Vec<SutProblem>) {
    let shown = if std::path::Path::new(&file.path).is_absolute() {
        file.path.clone()
    } else {
        sut.dir.join(&file.path).display().to_string()
    };
    for (line, cmd) in statements::transaction_control(&file.sql) {
        out.push(SutProblem {
            at: format!("{shown}:{line}"),
            message: format!(
                "{what} has a top-level `{cmd}`: the harness supplies the transaction"
            ),
            clause: TX_CLAUSE,
        });
    }
}

/// Every problem of `sut` for a run of the invariants `ids`.
pub fn problems(sut: &Sut, ids: &[&str]) -> Vec<SutProblem> {
    let mut out = Vec::new();
    let manifest = sut.dir.join(super::MANIFEST).display().to_string();
    let mut seen: Vec<&str> = Vec::new();
    for id in ids {
        for script in contract::scripts_needed(id) {
            if sut.script(script).is_err() && !seen.contains(script) {
                seen.push(script);
                out.push(SutProblem {
                    at: manifest.clone(),
                    message: format!(
                        "no `script {script} FILE` line, and invariant {id} runs that script"
                    ),
                    clause: "contract §0: the named scripts a suite needs",
                });
            }
        }
    }
    if ids.contains(&"DRIFT-REVERSAL") && sut.uninstall_reverses.is_none() {
        out.push(SutProblem {
            at: manifest.clone(),
            message: "no `uninstall-reverses FIRST LAST` line: nothing says which install files \
                      `script uninstall` reverses, and invariant DRIFT-REVERSAL checks that"
                .to_owned(),
            clause: "contract §0: the named scripts a suite needs",
        });
    }
    for f in &sut.install {
        transaction_control(sut, f, "install file", &mut out);
    }
    for (name, f) in &sut.scripts {
        transaction_control(sut, f, &format!("script `{name}`"), &mut out);
    }
    if let Some(m) = &sut.mutant {
        transaction_control(sut, m, "the applied mutant or variant", &mut out);
    }
    out
}
