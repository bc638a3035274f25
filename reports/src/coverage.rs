//! Coverage requirements: input classes a run must have exercised.
//!
//! Properties tag every generated input with classes (`Property::coverage`,
//! e.g. `artifact:cpo_decisions`, `ttl:3600`); the runner counts them per
//! invariant. A requirement names a class, optionally scoped to one invariant,
//! and is satisfied when at least one case hit it.

use crate::model::InvariantResult;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One required coverage class and whether the run met it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CoverageRequirement {
    /// The invariant that must have exercised the class; `None`: any invariant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariant: Option<String>,
    /// The coverage class, exactly as the property reports it.
    pub class: String,
    /// Cases that hit the class (summed over invariants when unscoped).
    pub cases: u64,
    /// `cases > 0`.
    pub satisfied: bool,
}

/// A malformed `--require-coverage` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid coverage requirement `{spec}`: {why}")]
pub struct CoverageSpecError {
    /// The value given.
    pub spec: String,
    /// What is wrong with it.
    pub why: String,
}

impl CoverageRequirement {
    /// Parse `CLASS` or `ID:CLASS`. Classes contain colons themselves
    /// (`artifact:cpo_decisions`), so the prefix is taken as an invariant ID
    /// only when `is_invariant` recognises it.
    pub fn parse(
        spec: &str,
        is_invariant: impl Fn(&str) -> bool,
    ) -> Result<Self, CoverageSpecError> {
        let spec_t = spec.trim();
        let err = |why: &str| CoverageSpecError {
            spec: spec.to_owned(),
            why: why.to_owned(),
        };
        if spec_t.is_empty() {
            return Err(err("empty"));
        }
        let (invariant, class) = match spec_t.split_once(':') {
            Some((id, class)) if is_invariant(id) => (Some(id.to_owned()), class),
            _ => (None, spec_t),
        };
        if class.is_empty() {
            return Err(err("no class after the invariant ID"));
        }
        Ok(Self {
            invariant,
            class: class.to_owned(),
            cases: 0,
            satisfied: false,
        })
    }

    /// The requirement as written on the command line.
    pub fn spec(&self) -> String {
        match &self.invariant {
            Some(id) => format!("{id}:{}", self.class),
            None => self.class.clone(),
        }
    }

    /// Count the cases in `results` that hit this class and set `satisfied`.
    pub fn evaluate(&mut self, results: &[InvariantResult]) {
        self.cases = results
            .iter()
            .filter(|r| self.invariant.as_deref().is_none_or(|id| id == r.id))
            .filter_map(|r| r.coverage.get(&self.class))
            .sum();
        self.satisfied = self.cases > 0;
    }

    /// A one-line explanation of why the requirement is not met.
    pub fn explain_missing(&self, results: &[InvariantResult]) -> String {
        match &self.invariant {
            Some(id) => match results.iter().find(|r| &r.id == id) {
                None => format!("coverage class `{}` of {id}: {id} was not run", self.class),
                Some(r) => format!(
                    "coverage class `{}` of {id} was never exercised in {} (exercised: {})",
                    self.class,
                    crate::text::count(r.cases, "case"),
                    list_or_none(r.coverage.keys())
                ),
            },
            None => format!(
                "coverage class `{}` was never exercised by any invariant of the run",
                self.class
            ),
        }
    }
}

fn list_or_none<'a>(it: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.map(String::as_str).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

/// Evaluate every requirement against `results`.
pub fn evaluate_all(reqs: &mut [CoverageRequirement], results: &[InvariantResult]) {
    for r in reqs {
        r.evaluate(results);
    }
}
