//! Merging the reports of a sharded run into one report.

use crate::coverage::CoverageRequirement;
use crate::run_report::{LoadedReport, RunReport};
use crate::shard::{ShardRecord, ShardSpec};
use crate::signature::{self, ShardSignature, SignatureCheck, TrustedKey};
use std::collections::{BTreeMap, BTreeSet};

/// Why a set of shard reports cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeProblem {
    /// Nothing to merge.
    #[error("no reports given")]
    NoInput,
    /// A shard's integrity hash does not verify.
    #[error("{0}: integrity hash does not match its content (edited or damaged)")]
    Integrity(String),
    /// A report that is not a shard (a full run, or already merged).
    #[error("{0}: not a shard report (it was not produced with --shard K/N)")]
    NotAShard(String),
    /// Shards of different partitions.
    #[error("{path}: shard {shard} is not a shard of {total} like {first}")]
    MixedTotal {
        /// Report.
        path: String,
        /// Its shard.
        shard: ShardSpec,
        /// Expected total.
        total: u32,
        /// The first report.
        first: String,
    },
    /// One shard given twice.
    #[error("shard {shard} given more than once: {}", .paths.join(", "))]
    DuplicateShard {
        /// Shard.
        shard: ShardSpec,
        /// Reports claiming it.
        paths: Vec<String>,
    },
    /// An invariant present in two shards.
    #[error("invariant {id} appears in more than one shard: {}", .paths.join(", "))]
    Overlap {
        /// Invariant.
        id: String,
        /// Reports containing it.
        paths: Vec<String>,
    },
    /// An invariant in a shard that does not own it.
    #[error("{path}: invariant {id} does not belong to shard {shard}")]
    Foreign {
        /// Report.
        path: String,
        /// Invariant.
        id: String,
        /// The report's shard.
        shard: ShardSpec,
    },
    /// Shards of different runs.
    #[error("{path}: {what} is {found}, but {first} has {expected}")]
    Mismatch {
        /// Report.
        path: String,
        /// What differs (seed, SUT fingerprint, ...).
        what: &'static str,
        /// Its value.
        found: String,
        /// The first report's value.
        expected: String,
        /// The first report.
        first: String,
    },
    /// A shard's signature does not verify against the trusted key with its ID.
    #[error("{path}: its signature by key {key_id} does not verify: the shard's bytes changed after it was signed")]
    BadSignature {
        /// Report.
        path: String,
        /// The signature's key ID.
        key_id: String,
    },
    /// A shard's signature file is not a minisign signature.
    #[error("{path}: its signature file is not a minisign signature ({why})")]
    MalformedSignature {
        /// Report.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// The key ID a shard records differs from the one that signed it.
    #[error("{path}: the report records signing key {} but its signature is by key {actual}", .recorded.as_deref().unwrap_or("(none)"))]
    SignatureKeyMismatch {
        /// Report.
        path: String,
        /// `signature_key_id` in the report.
        recorded: Option<String>,
        /// The signature's key ID.
        actual: String,
    },
    /// Not every shard is present.
    #[error("incomplete: shard(s) {} of {total} missing", .missing.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
    Incomplete {
        /// Missing shard numbers.
        missing: Vec<u32>,
        /// Total shards.
        total: u32,
    },
}

/// What the merge knows about one shard's signature: a record for the merged
/// report, and a warning when it could not be verified (the gate will refuse
/// such a shard when it checks signatures).
pub fn shard_signature(
    loaded: &LoadedReport,
    signature: Option<&str>,
    trusted: &[TrustedKey],
) -> Result<(Option<ShardSignature>, Option<String>), MergeProblem> {
    let path = loaded.path.clone();
    let recorded = loaded.report.signature_key_id.clone();
    let sig = |key_id: String, verified: bool| Some(ShardSignature { key_id, verified });
    match signature::check(&loaded.bytes, signature, trusted) {
        SignatureCheck::Unsigned => Ok(match recorded {
            None => (None, None),
            Some(k) => (
                sig(k.clone(), false),
                Some(format!(
                    "{path}: records signing key {k} but has no signature file; merged as unverified"
                )),
            ),
        }),
        SignatureCheck::Malformed(why) => Err(MergeProblem::MalformedSignature { path, why }),
        SignatureCheck::Invalid { key_id } => Err(MergeProblem::BadSignature { path, key_id }),
        SignatureCheck::Untrusted { key_id } => {
            if recorded.as_deref() != Some(key_id.as_str()) {
                return Err(MergeProblem::SignatureKeyMismatch {
                    path,
                    recorded,
                    actual: key_id,
                });
            }
            let warning = format!(
                "{path}: signed by key {key_id}, which this merge does not trust (give it with --trusted-key); merged as unverified"
            );
            Ok((sig(key_id, false), Some(warning)))
        }
        SignatureCheck::Verified { key_id, .. } => {
            if recorded.as_deref() != Some(key_id.as_str()) {
                return Err(MergeProblem::SignatureKeyMismatch {
                    path,
                    recorded,
                    actual: key_id,
                });
            }
            Ok((sig(key_id, true), None))
        }
    }
}

/// Merge shard reports. Refuses tampered, foreign, overlapping and mixed
/// inputs; refuses an incomplete set unless `allow_incomplete` (the merged
/// report then records which shards it has, and `gate` refuses it).
pub fn merge(
    inputs: &[LoadedReport],
    allow_incomplete: bool,
) -> Result<RunReport, Vec<MergeProblem>> {
    merge_signed(inputs, &[], allow_incomplete)
}

/// [`merge`], recording each shard's signature (`signatures[i]` belongs to
/// `inputs[i]`, as [`shard_signature`] found it; missing entries: unsigned).
pub fn merge_signed(
    inputs: &[LoadedReport],
    signatures: &[Option<ShardSignature>],
    allow_incomplete: bool,
) -> Result<RunReport, Vec<MergeProblem>> {
    let Some(first) = inputs.first() else {
        return Err(vec![MergeProblem::NoInput]);
    };
    let problems = merge_problems(first, inputs, allow_incomplete);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(assemble(&first.report, inputs, signatures))
}

/// Everything that keeps `inputs` from merging, in a stable order: damaged
/// or non-shard reports, shards that disagree with `first`, then the
/// partition's duplicates, overlaps and gaps.
fn merge_problems(
    first: &LoadedReport,
    inputs: &[LoadedReport],
    allow_incomplete: bool,
) -> Vec<MergeProblem> {
    let mut problems = Vec::new();
    for l in inputs {
        if !l.integrity_ok() {
            problems.push(MergeProblem::Integrity(l.path.clone()));
        }
        if l.report.shard.is_none() {
            problems.push(MergeProblem::NotAShard(l.path.clone()));
        }
    }
    let total = first.report.shard.map_or(0, |s| s.total);
    let mut by_shard: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut by_id: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for l in inputs {
        disagreements(first, l, &mut problems);
        let Some(sh) = l.report.shard else { continue };
        if sh.total != total {
            problems.push(MergeProblem::MixedTotal {
                path: l.path.clone(),
                shard: sh,
                total,
                first: first.path.clone(),
            });
            continue;
        }
        by_shard.entry(sh.index).or_default().push(l.path.clone());
        for res in &l.report.results {
            by_id
                .entry(res.id.as_str())
                .or_default()
                .push(l.path.clone());
            if !sh.owns(&res.id) {
                problems.push(MergeProblem::Foreign {
                    path: l.path.clone(),
                    id: res.id.clone(),
                    shard: sh,
                });
            }
        }
    }
    for (index, paths) in &by_shard {
        if paths.len() > 1 {
            problems.push(MergeProblem::DuplicateShard {
                shard: ShardSpec {
                    index: *index,
                    total,
                },
                paths: paths.clone(),
            });
        }
    }
    for (id, paths) in &by_id {
        if paths.len() > 1 {
            problems.push(MergeProblem::Overlap {
                id: (*id).to_owned(),
                paths: paths.clone(),
            });
        }
    }
    let missing: Vec<u32> = (1..=total).filter(|k| !by_shard.contains_key(k)).collect();
    if !missing.is_empty() && !allow_incomplete && total > 0 {
        problems.push(MergeProblem::Incomplete { missing, total });
    }
    problems
}

/// Push a [`MergeProblem::Mismatch`] for each setting in which the shard `l`
/// differs from `first` (a shard of another run cannot be merged with it).
fn disagreements(first: &LoadedReport, l: &LoadedReport, problems: &mut Vec<MergeProblem>) {
    let (r, f) = (&l.report, &first.report);
    let mut check = |what: &'static str, found: String, expected: String| {
        if found != expected {
            problems.push(MergeProblem::Mismatch {
                path: l.path.clone(),
                what,
                found,
                expected,
                first: first.path.clone(),
            });
        }
    };
    check("the seed", r.seed.to_string(), f.seed.to_string());
    check(
        "the SUT fingerprint",
        r.sut.fingerprint.clone(),
        f.sut.fingerprint.clone(),
    );
    check(
        "the mutant",
        format!("{:?}", r.sut.mutant.as_ref().map(|m| &m.sha256)),
        format!("{:?}", f.sut.mutant.as_ref().map(|m| &m.sha256)),
    );
    check(
        "the selection",
        r.selection.join(","),
        f.selection.join(","),
    );
    check(
        "--cases",
        format!("{:?}", r.cases_requested),
        format!("{:?}", f.cases_requested),
    );
    check(
        "the server major version",
        (r.server.version_num / 10_000).to_string(),
        (f.server.version_num / 10_000).to_string(),
    );
    check(
        "the pgconform version",
        format!("{} {:?}", r.pgconform_version, r.git_revision),
        format!("{} {:?}", f.pgconform_version, f.git_revision),
    );
}

/// The merged, sealed report of shards that passed [`merge_problems`]:
/// results in `f`'s selection order, coverage re-judged over all of them,
/// and one record (with its signature) per shard.
fn assemble(
    f: &RunReport,
    inputs: &[LoadedReport],
    signatures: &[Option<ShardSignature>],
) -> RunReport {
    let mut shards: Vec<(&LoadedReport, Option<ShardSignature>)> = inputs
        .iter()
        .enumerate()
        .map(|(i, l)| (l, signatures.get(i).cloned().flatten()))
        .collect();
    shards.sort_by_key(|(l, _)| l.report.shard.map_or(0, |s| s.index));
    let signed: Vec<Option<ShardSignature>> = shards.iter().map(|(_, s)| s.clone()).collect();
    let shards: Vec<&LoadedReport> = shards.into_iter().map(|(l, _)| l).collect();
    let mut results: Vec<_> = shards
        .iter()
        .flat_map(|l| l.report.results.iter().cloned())
        .collect();
    let order: BTreeMap<&str, usize> = f
        .selection
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    results.sort_by_key(|r| order.get(r.id.as_str()).copied().unwrap_or(usize::MAX));
    let mut reqs: Vec<CoverageRequirement> = Vec::new();
    let mut seen = BTreeSet::new();
    for l in &shards {
        for c in &l.report.coverage_requirements {
            if seen.insert(c.spec()) {
                reqs.push(c.clone());
            }
        }
    }
    crate::coverage::evaluate_all(&mut reqs, &results);
    let records = shards
        .iter()
        .zip(signed)
        .filter_map(|(l, signature)| {
            let r = &l.report;
            Some(ShardRecord {
                shard: r.shard?,
                integrity_sha256: r.integrity_sha256.clone(),
                started_at: r.started_at.clone(),
                duration_ms: r.duration_ms,
                server_version: r.server.version.clone(),
                invariants: r.results.iter().map(|x| x.id.clone()).collect(),
                signature,
            })
        })
        .collect();
    let started_at = shards
        .iter()
        .map(|l| l.report.started_at.clone())
        .min()
        .unwrap_or_default();
    let duration_ms = shards
        .iter()
        .map(|l| l.report.duration_ms)
        .max()
        .unwrap_or(0);
    let mut merged = RunReport::builder(f.server.clone(), f.sut.clone(), f.seed)
        .made_by(f.pgconform_version.clone(), f.git_revision.clone())
        .cases_requested(f.cases_requested)
        .timing(started_at, duration_ms)
        .results(f.selection.clone(), results)
        .shards(records)
        .coverage(reqs)
        .interrupted(shards.iter().any(|l| l.report.interrupted))
        .build();
    merged.seal();
    merged
}
