//! `docs/contract.md` is the contract the harness checks: every invariant ID
//! the harness reports, every function signature and every table and column
//! it requires is written there, and it is the same text as the project's
//! shared `CONTRACT.md` wherever that file is present.

use pgconform_scenarios::contract::{self, ContractItem};
use pgconform_scenarios::invariant::Suite;
use pgconform_scenarios::registry::{self, Options};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn doc() -> String {
    std::fs::read_to_string(root().join("docs/contract.md")).expect("read docs/contract.md")
}

#[test]
fn every_invariant_id_is_in_the_contract() {
    let doc = doc();
    for inv in registry::all(&Options::default()) {
        let id = inv.meta().id;
        assert!(
            doc.contains(&format!("- {id} —")),
            "{id} is not defined in docs/contract.md"
        );
    }
}

#[test]
fn every_required_name_is_in_the_contract() {
    let doc = doc();
    for item in contract::required(&Suite::ALL) {
        let (name, column) = match item {
            ContractItem::Function(sig) => (sig.split('(').next().unwrap_or(sig), None),
            ContractItem::Table(t) => (t, None),
            ContractItem::Column(t, c) => (t, Some(c)),
        };
        let bare = name.rsplit('.').next().unwrap_or(name);
        assert!(
            doc.contains(bare),
            "{item} is not named in docs/contract.md"
        );
        if let Some(c) = column {
            assert!(
                doc.contains(c),
                "{item}: column not named in docs/contract.md"
            );
        }
    }
}

#[test]
fn the_shipped_contract_is_the_shared_one() {
    let shared = root().join("../shared/CONTRACT.md");
    let Ok(shared) = std::fs::read_to_string(&shared) else {
        // A clone outside the project's workplace has only docs/contract.md.
        return;
    };
    assert!(
        shared == doc(),
        "docs/contract.md differs from ../shared/CONTRACT.md: copy it over"
    );
}
