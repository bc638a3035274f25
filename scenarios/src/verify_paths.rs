//! Two ways to verify that two tables of `(artifact_type, content jsonb)` rows
//! hold the same per-type multisets of rows, for measuring them side by side:
//!
//! * [`verify_in_postgres`]: PostgreSQL does it all in one SQL statement
//!   (sha256 of `content::text` per row, counted per type and digest, the two
//!   sides full-joined);
//! * [`verify_in_rust`]: the harness's path, both sides streamed out at once
//!   over two connections with binary COPY, hashed as they arrive into the
//!   oracle's multisets, and diffed in Rust.
//!
//! Both localise differences with multiplicity, and [`agree`] checks that
//! they found the same ones. [`load_workload`] fills the two tables with
//! ~200-byte rows and optional tampers. `harness/benches/verify.rs` and
//! `harness/examples/verify_ratios.rs` time them.

use std::collections::BTreeMap;

use pgconform_contract::durability::TABLES;
use pgconform_oracle::{diff, DigestMultiset, MultisetDiff};
use postgres::Client;

use crate::case::CaseError;
use crate::copy_stream::copy_rows;
use crate::pg::{quote_ident, PgResultExt};

/// Artifact types of the workload (four contiguous blocks of rows).
pub const TYPES: [&str; 4] = [
    TABLES[0].name,
    TABLES[4].name,
    TABLES[5].name,
    TABLES[11].name,
];

/// The source table of the workload.
pub const SOURCE: &str = "verify_src";
/// The target table: a copy of the source, possibly tampered.
pub const TARGET: &str = "verify_dst";

/// (Re)creates [`SOURCE`] with `rows` rows of about 200 bytes of canonical
/// `jsonb` text each, and [`TARGET`] as a copy with `tampers` changes (in
/// turn: a row deleted, a row duplicated, a row's content changed), then
/// vacuums and analyses both so either path sees a settled table.
///
/// # Errors
/// [`CaseError::Env`] when a statement fails.
pub fn load_workload(client: &mut Client, rows: u64, tampers: u64) -> Result<(), CaseError> {
    let types = TYPES.map(|t| format!("'{t}'")).join(",");
    let rows_i = i64::try_from(rows).map_err(|_| CaseError::Env("too many rows".into()))?;
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {SOURCE}, {TARGET};
             CREATE TABLE {SOURCE} (artifact_type text NOT NULL, content jsonb NOT NULL);
             INSERT INTO {SOURCE}
             SELECT (ARRAY[{types}])[1 + ((i - 1) * 4) / {rows_i}],
                    jsonb_build_object(
                      'action_type', 'commit_decision',
                      'actor_id', substr(h, 1, 8) || '-4c1a-4e59-9a57-' || substr(h, 9, 12),
                      'action', jsonb_build_object('seq', i, 'weight', (i % 1000) + 0.50,
                                                   'note', 'row ' || i || ' é'),
                      'tags', '[\"alpha\", \"beta\"]'::jsonb,
                      'ok', true)
             FROM generate_series(1, {rows_i}) AS i, LATERAL md5(i::text) AS h;
             CREATE TABLE {TARGET} AS TABLE {SOURCE};"
        ))
        .env()?;
    for k in 0..tampers {
        let seq = (k * 7919 + 13) % rows.max(1) + 1;
        let sql = match k % 3 {
            0 => format!("DELETE FROM {TARGET} WHERE (content #>> '{{action,seq}}')::bigint = {seq}"),
            1 => format!(
                "INSERT INTO {TARGET} SELECT * FROM {SOURCE} WHERE (content #>> '{{action,seq}}')::bigint = {seq}"
            ),
            _ => format!(
                "UPDATE {TARGET} SET content = jsonb_set(content, '{{ok}}', 'false') \
                 WHERE (content #>> '{{action,seq}}')::bigint = {seq}"
            ),
        };
        client.batch_execute(&sql).env()?;
    }
    // One statement per call: VACUUM refuses to run in a multi-statement batch.
    for table in [SOURCE, TARGET] {
        client
            .batch_execute(&format!("VACUUM ANALYZE {table}"))
            .env()?;
    }
    Ok(())
}

/// One difference found by PostgreSQL: a digest whose count differs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SqlDifference {
    /// The artifact type.
    pub artifact_type: String,
    /// The row digest, lowercase hex.
    pub digest: String,
    /// Occurrences in the source.
    pub source: i64,
    /// Occurrences in the target.
    pub target: i64,
}

/// PostgreSQL's verdict: per-type row counts of both sides and every digest
/// whose multiplicity differs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqlVerdict {
    /// `type → (source rows, target rows)`.
    pub counts: BTreeMap<String, (i64, i64)>,
    /// The differences, sorted.
    pub differences: Vec<SqlDifference>,
}

/// The verification done by PostgreSQL itself, in one statement: sha256 of
/// `content::text` per row of both sides, counted per (type, digest) and
/// side in one aggregation, keeping the digests whose counts differ; plus
/// the per-type row counts. Runs with the server's own settings.
///
/// Of the formulations tried this is PostgreSQL's fastest: a single
/// aggregate over `UNION ALL` of the sides is planned as a parallel append
/// with partial hash aggregation (10^6 rows per side, 2 cores: 5.3 s, 4.1 s
/// with `work_mem = 1GB`), where grouping each side and full-joining them
/// runs on one core (7.0 s).
///
/// # Errors
/// [`CaseError::Env`] when the statement fails.
pub fn verify_in_postgres(
    client: &mut Client,
    source: &str,
    target: &str,
) -> Result<SqlVerdict, CaseError> {
    let (s, t) = (quote_ident(source), quote_ident(target));
    let sql = format!(
        "SELECT ty, NULL::text, sum(sn)::bigint, sum(tn)::bigint
           FROM (SELECT artifact_type AS ty, 1 AS sn, 0 AS tn FROM {s}
                 UNION ALL
                 SELECT artifact_type, 0, 1 FROM {t}) AS c
          GROUP BY ty
         UNION ALL
         SELECT ty, encode(d, 'hex'), sum(sn)::bigint, sum(tn)::bigint
           FROM (SELECT artifact_type AS ty, sha256(convert_to(content::text, 'UTF8')) AS d,
                        1 AS sn, 0 AS tn FROM {s}
                 UNION ALL
                 SELECT artifact_type, sha256(convert_to(content::text, 'UTF8')), 0, 1 FROM {t}) AS u
          GROUP BY ty, d
         HAVING sum(sn) <> sum(tn)"
    );
    let mut verdict = SqlVerdict::default();
    for row in client.query(&sql, &[]).env()? {
        let ty: String = row.get(0);
        let digest: Option<String> = row.get(1);
        let (sn, tn): (i64, i64) = (row.get(2), row.get(3));
        match digest {
            None => {
                verdict.counts.insert(ty, (sn, tn));
            }
            Some(digest) => verdict.differences.push(SqlDifference {
                artifact_type: ty,
                digest,
                source: sn,
                target: tn,
            }),
        }
    }
    verdict.differences.sort();
    Ok(verdict)
}

/// The harness's path: both tables streamed at once over two sessions (one
/// per side, e.g. two connections to the same database), each row's
/// `content` text hashed as it arrives into the oracle's per-type multiset,
/// then the two multisets diffed.
///
/// # Errors
/// [`CaseError::Env`] when a stream fails or a row is not what the query
/// promised.
pub fn verify_in_rust(
    source_client: &mut Client,
    target_client: &mut Client,
    source: &str,
    target: &str,
) -> Result<MultisetDiff, CaseError> {
    let (s, t) = std::thread::scope(|scope| {
        let other = scope.spawn(|| stream_side(target_client, target));
        let mine = stream_side(source_client, source);
        let theirs = other
            .join()
            .unwrap_or_else(|_| Err(CaseError::Env("the target's reader panicked".into())));
        (mine, theirs)
    });
    Ok(diff(&s?, &t?))
}

/// One side of [`verify_in_rust`].
fn stream_side(client: &mut Client, table: &str) -> Result<DigestMultiset, CaseError> {
    let mut m = DigestMultiset::new();
    // `content` itself, not `content::text`: in binary COPY, jsonb's send
    // function writes its text form straight into the message (after a
    // version byte), sparing the server the cast's two copies.
    let select = format!("SELECT artifact_type, content FROM {}", quote_ident(table));
    let mut bad_row = None;
    let mut row = 0u64;
    copy_rows(client, &select, |f| {
        match (std::str::from_utf8(f[0]), jsonb_text(f[1])) {
            (Ok(ty), Some(text)) => {
                m.insert_canonical(ty, text);
            }
            _ => {
                bad_row.get_or_insert(row);
            }
        }
        row += 1;
    })?;
    if let Some(row) = bad_row {
        return Err(CaseError::Env(format!(
            "{table}: row {row} has a non-UTF-8 type or an unknown jsonb binary version"
        )));
    }
    Ok(m)
}

/// The text of a `jsonb` value in binary COPY format: version byte 1, then
/// the same text `jsonb_out` prints.
fn jsonb_text(field: &[u8]) -> Option<&[u8]> {
    match field.split_first() {
        Some((1, text)) => Some(text),
        _ => None,
    }
}

/// True when PostgreSQL's verdict and the oracle's diff report the same
/// per-type counts and the same differing digests with the same counts.
#[must_use]
pub fn agree(sql: &SqlVerdict, rust: &MultisetDiff) -> bool {
    let mut counts = BTreeMap::new();
    let mut differences = Vec::new();
    for (ty, t) in &rust.types {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        counts.insert(ty.clone(), (count(t.source_count), count(t.target_count)));
        // Multiplicity per digest: missing = in source only, extra = in target only.
        let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for d in &t.missing {
            per.entry(d.to_hex()).or_default().0 += 1;
        }
        for d in &t.extra {
            per.entry(d.to_hex()).or_default().1 += 1;
        }
        for (digest, (missing, extra)) in per {
            differences.push((ty.clone(), digest, missing - extra));
        }
    }
    let sql_diffs: Vec<(String, String, i64)> = sql
        .differences
        .iter()
        .map(|d| {
            (
                d.artifact_type.clone(),
                d.digest.clone(),
                d.source - d.target,
            )
        })
        .collect();
    differences.sort();
    counts == sql.counts && differences == sql_diffs
}
