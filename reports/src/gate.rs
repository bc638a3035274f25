//! The release gate: may this report ship this SUT?
//!
//! Pure: the caller loads the report, recomputes the SUT fingerprint from the
//! directory being released and expands `--require` into invariant IDs.

use crate::coverage::CoverageRequirement;
use crate::model::Verdict;
use crate::run_report::{value_integrity_ok, LoadedReport, RunReport, SutFile};
use crate::shard::ShardSpec;
use crate::signature::{self, SignatureCheck, TrustedKey};
use std::collections::BTreeSet;

/// The SUT a report must have been produced for.
#[derive(Debug, Clone)]
pub struct ExpectedSut {
    /// Directory shown in messages.
    pub dir: String,
    /// Its fingerprint, recomputed from the files.
    pub fingerprint: String,
    /// Its files and their hashes (to name what differs).
    pub files: Vec<SutFile>,
}

/// What the gate requires.
#[derive(Debug, Clone, Default)]
pub struct GatePolicy {
    /// Invariant IDs that must be present and passed.
    pub required: Vec<String>,
    /// Minimum cases each required invariant must have run, unless
    /// `min_cases_of` names it.
    pub min_cases: u64,
    /// Per-invariant minimum cases (the invariant's default case count when
    /// the user gave no `--min-cases`).
    pub min_cases_of: std::collections::BTreeMap<String, u64>,
    /// The SUT being released; `None` skips the fingerprint check.
    pub sut: Option<ExpectedSut>,
    /// Coverage the gate itself requires (besides the report's own requirements).
    pub require_coverage: Vec<CoverageRequirement>,
    /// Accept a server that is not PostgreSQL 16.
    pub allow_any_major: bool,
}

/// One reason the gate refuses a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateReason {
    /// The integrity hash does not match the content: edited or damaged.
    #[error("integrity: the report's sha256 does not match its content (edited or damaged after it was written)")]
    Integrity,
    /// The report was produced for another SUT.
    #[error("SUT: the report is for fingerprint {report} but {dir} has fingerprint {actual}{}", if .differing.is_empty() { String::new() } else { format!(" (differing: {})", .differing.join(", ")) })]
    SutMismatch {
        /// Fingerprint in the report.
        report: String,
        /// Directory checked.
        dir: String,
        /// Its fingerprint.
        actual: String,
        /// Files that differ, are missing or are extra.
        differing: Vec<String>,
    },
    /// A mutant was applied: the report describes a deliberately broken kernel.
    #[error("SUT: the report was produced with mutant {0} applied")]
    Mutant(String),
    /// A single shard of a sharded run.
    #[error("shard: the report is shard {0} only; merge all shards with `pgconform report merge`")]
    SingleShard(ShardSpec),
    /// A merged report lacks shards.
    #[error("shards: the merged report lacks shard(s) {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    MissingShards(Vec<ShardSpec>),
    /// Invariants the run selected have no result.
    #[error("selection: the run selected {} invariant(s) that have no result: {}", .0.len(), .0.join(", "))]
    MissingResults(Vec<String>),
    /// The run was interrupted.
    #[error("interrupted: the run was interrupted; its results are partial")]
    Interrupted,
    /// A required invariant is not in the report.
    #[error("{0}: required but not in the report")]
    Missing(String),
    /// A required invariant did not pass.
    #[error("{id}: required but {verdict}{}", .detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    NotPassed {
        /// Invariant.
        id: String,
        /// Its verdict.
        verdict: String,
        /// Failure message or error.
        detail: Option<String>,
    },
    /// An invariant that was not required failed anyway.
    #[error("{id}: failed ({detail})")]
    OtherFailed {
        /// Invariant.
        id: String,
        /// Failure message.
        detail: String,
    },
    /// Too few cases.
    #[error("{id}: ran {}, the gate requires at least {min}", crate::text::count(*.cases, "case"))]
    TooFewCases {
        /// Invariant.
        id: String,
        /// Cases run.
        cases: u64,
        /// `--min-cases`.
        min: u64,
    },
    /// A required coverage class was never exercised.
    #[error("coverage: {0}")]
    Coverage(String),
    /// The server was not PostgreSQL 16.
    #[error("server: the run used {version} (version_num {num}), not PostgreSQL 16")]
    NotPg16 {
        /// `version()`.
        version: String,
        /// `server_version_num`.
        num: i32,
    },
    /// No signature file, while the gate requires one.
    #[error("signature: the report is unsigned ({file} does not exist{}); the gate requires a signature by a --trusted-key", .recorded.as_deref().map(|k| format!(", although the report names signing key {k}")).unwrap_or_default())]
    Unsigned {
        /// The signature file looked for.
        file: String,
        /// `signature_key_id` the report records, if any.
        recorded: Option<String>,
    },
    /// The signature file cannot be read as a minisign signature.
    #[error("signature: {file} is not a minisign signature ({why})")]
    SignatureMalformed {
        /// The signature file.
        file: String,
        /// What is wrong.
        why: String,
    },
    /// Signed by a key the gate does not trust.
    #[error("signature: signed by key {key_id}, which is not a --trusted-key (trusted: {})", .trusted.join(", "))]
    UntrustedKey {
        /// The signature's key ID.
        key_id: String,
        /// The trusted key IDs.
        trusted: Vec<String>,
    },
    /// The signature does not verify: the bytes changed after signing.
    #[error("signature: the signature by trusted key {key_id} does not verify: the report's bytes changed after it was signed")]
    BadSignature {
        /// The signature's key ID.
        key_id: String,
    },
    /// The key ID recorded in the report is not the one that signed it.
    #[error("signature: the report records signing key {} but was signed by key {actual}", .recorded.as_deref().unwrap_or("(none)"))]
    SignatureKeyMismatch {
        /// `signature_key_id` in the report.
        recorded: Option<String>,
        /// The signature's key ID.
        actual: String,
    },
    /// A shard of a merged report was not signed.
    #[error("signature: shard {0} of the merge was not signed")]
    ShardUnsigned(ShardSpec),
    /// A shard was signed, but the merge could not verify the signature.
    #[error("signature: shard {shard} is signed by key {key_id} but the merge did not verify it (merge with --trusted-key)")]
    ShardUnverified {
        /// Which shard.
        shard: ShardSpec,
        /// Its key ID.
        key_id: String,
    },
    /// A shard was signed by a key the gate does not trust.
    #[error("signature: shard {shard} was signed by key {key_id}, which is not a --trusted-key")]
    ShardUntrusted {
        /// Which shard.
        shard: ShardSpec,
        /// Its key ID.
        key_id: String,
    },
    /// Nothing was checked.
    #[error("empty: the report has no results and nothing was required")]
    Empty,
}

/// Every reason `loaded` does not pass `policy` (empty: the gate passes).
pub fn evaluate(loaded: &LoadedReport, policy: &GatePolicy) -> Vec<GateReason> {
    let r = &loaded.report;
    let mut reasons = Vec::new();
    provenance_reasons(loaded, policy, &mut reasons);
    completeness_reasons(r, policy, &mut reasons);
    verdict_reasons(r, policy, &mut reasons);
    coverage_reasons(r, policy, &mut reasons);
    if r.results.is_empty() && policy.required.is_empty() {
        reasons.push(GateReason::Empty);
    }
    reasons
}

/// Whether the report is what it claims: intact, of the expected SUT, and
/// of no mutant.
fn provenance_reasons(loaded: &LoadedReport, policy: &GatePolicy, reasons: &mut Vec<GateReason>) {
    let r = &loaded.report;
    if !(value_integrity_ok(&loaded.raw) && r.integrity_ok()) {
        reasons.push(GateReason::Integrity);
    }
    if let Some(exp) = &policy.sut {
        if exp.fingerprint != r.sut.fingerprint {
            reasons.push(GateReason::SutMismatch {
                report: r.sut.fingerprint.clone(),
                dir: exp.dir.clone(),
                actual: exp.fingerprint.clone(),
                differing: differing_files(&r.sut.files, &exp.files),
            });
        }
    }
    if let Some(m) = &r.sut.mutant {
        reasons.push(GateReason::Mutant(m.path.clone()));
    }
}

/// Whether the run is whole: every shard and every selected result present,
/// not interrupted, on PostgreSQL 16 (unless any major is allowed).
fn completeness_reasons(r: &RunReport, policy: &GatePolicy, reasons: &mut Vec<GateReason>) {
    if let Some(sh) = r.shard {
        reasons.push(GateReason::SingleShard(sh));
    }
    if let Some(first) = r.shards.first() {
        let total = first.shard.total;
        let have: BTreeSet<u32> = r.shards.iter().map(|s| s.shard.index).collect();
        let missing: Vec<ShardSpec> = (1..=total)
            .filter(|k| !have.contains(k))
            .map(|index| ShardSpec { index, total })
            .collect();
        if !missing.is_empty() {
            reasons.push(GateReason::MissingShards(missing));
        }
    }
    // Every selected invariant a present shard owns must have a result.
    let present: Option<(u32, BTreeSet<u32>)> = r.shards.first().map(|f| {
        (
            f.shard.total,
            r.shards.iter().map(|s| s.shard.index).collect(),
        )
    });
    let expected = |id: &str| match (r.shard, &present) {
        (Some(sh), _) => sh.owns(id),
        (None, Some((total, have))) => have.contains(&ShardSpec::owner_of(id, *total)),
        (None, None) => true,
    };
    let missing_results: Vec<String> = r
        .selection
        .iter()
        .filter(|id| expected(id) && !r.results.iter().any(|x| &x.id == *id))
        .cloned()
        .collect();
    if !missing_results.is_empty() {
        reasons.push(GateReason::MissingResults(missing_results));
    }
    if r.interrupted {
        reasons.push(GateReason::Interrupted);
    }
    if !policy.allow_any_major && r.server.version_num / 10_000 != 16 {
        reasons.push(GateReason::NotPg16 {
            version: r.server.version.clone(),
            num: r.server.version_num,
        });
    }
}

/// Whether every required invariant passed with enough cases, and no other
/// invariant failed.
fn verdict_reasons(r: &RunReport, policy: &GatePolicy, reasons: &mut Vec<GateReason>) {
    for id in &policy.required {
        let Some(res) = r.results.iter().find(|x| &x.id == id) else {
            reasons.push(GateReason::Missing(id.clone()));
            continue;
        };
        if res.verdict != Verdict::Passed {
            reasons.push(GateReason::NotPassed {
                id: id.clone(),
                verdict: crate::text::verdict_label(res.verdict).to_lowercase(),
                detail: res
                    .failures
                    .first()
                    .map(|f| f.detail.message.clone())
                    .or_else(|| res.error.clone()),
            });
        }
        let min = policy
            .min_cases_of
            .get(id)
            .copied()
            .unwrap_or(policy.min_cases);
        if res.cases < min {
            reasons.push(GateReason::TooFewCases {
                id: id.clone(),
                cases: res.cases,
                min,
            });
        }
    }
    for res in &r.results {
        if res.verdict == Verdict::Failed && !policy.required.contains(&res.id) {
            reasons.push(GateReason::OtherFailed {
                id: res.id.clone(),
                detail: res
                    .failures
                    .first()
                    .map_or_else(|| "no detail".to_owned(), |f| f.detail.message.clone()),
            });
        }
    }
}

/// Whether the report's own coverage requirements and the policy's hold.
fn coverage_reasons(r: &RunReport, policy: &GatePolicy, reasons: &mut Vec<GateReason>) {
    // The report's own requirements, re-evaluated from its results (a
    // requirement marked satisfied by an edit would otherwise slip through).
    let mut seen = BTreeSet::new();
    for req in r
        .coverage_requirements
        .iter()
        .chain(&policy.require_coverage)
    {
        if !seen.insert(req.spec()) {
            continue;
        }
        let mut req = req.clone();
        req.evaluate(&r.results);
        if !req.satisfied {
            reasons.push(GateReason::Coverage(req.explain_missing(&r.results)));
        }
    }
}

/// Authenticity: every reason the report (`loaded`, whose signature file
/// `signature_file` holds `signature`, `None` if absent) is not proven to
/// come from a holder of one of the `trusted` keys. For a merged report
/// every shard must also have been signed by a trusted key and verified by
/// the merge (whose own trusted signature vouches for that record).
pub fn evaluate_signature(
    loaded: &LoadedReport,
    signature_file: &str,
    signature: Option<&str>,
    trusted: &[TrustedKey],
) -> Vec<GateReason> {
    let r = &loaded.report;
    let mut reasons = Vec::new();
    let trusted_ids: Vec<String> = trusted.iter().map(|t| t.key_id.clone()).collect();
    match signature::check(&loaded.bytes, signature, trusted) {
        SignatureCheck::Unsigned => reasons.push(GateReason::Unsigned {
            file: signature_file.to_owned(),
            recorded: r.signature_key_id.clone(),
        }),
        SignatureCheck::Malformed(why) => reasons.push(GateReason::SignatureMalformed {
            file: signature_file.to_owned(),
            why,
        }),
        SignatureCheck::Untrusted { key_id } => reasons.push(GateReason::UntrustedKey {
            key_id,
            trusted: trusted_ids.clone(),
        }),
        SignatureCheck::Invalid { key_id } => reasons.push(GateReason::BadSignature { key_id }),
        SignatureCheck::Verified { key_id, .. } => {
            if r.signature_key_id.as_deref() != Some(key_id.as_str()) {
                reasons.push(GateReason::SignatureKeyMismatch {
                    recorded: r.signature_key_id.clone(),
                    actual: key_id,
                });
            }
        }
    }
    for sh in &r.shards {
        match &sh.signature {
            None => reasons.push(GateReason::ShardUnsigned(sh.shard)),
            Some(s) if !trusted_ids.contains(&s.key_id) => {
                reasons.push(GateReason::ShardUntrusted {
                    shard: sh.shard,
                    key_id: s.key_id.clone(),
                });
            }
            Some(s) if !s.verified => reasons.push(GateReason::ShardUnverified {
                shard: sh.shard,
                key_id: s.key_id.clone(),
            }),
            Some(_) => {}
        }
    }
    reasons
}

fn differing_files(report: &[SutFile], actual: &[SutFile]) -> Vec<String> {
    let mut out = Vec::new();
    for f in report {
        match actual.iter().find(|a| a.path == f.path) {
            None => out.push(format!("{} (not in the directory)", f.path)),
            Some(a) if a.sha256 != f.sha256 => out.push(format!("{} (changed)", f.path)),
            Some(_) => {}
        }
    }
    for a in actual {
        if !report.iter().any(|f| f.path == a.path) {
            out.push(format!("{} (not in the report)", a.path));
        }
    }
    if out.is_empty() {
        out.push("MANIFEST".to_owned());
    }
    out
}
