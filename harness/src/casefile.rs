//! Case files: one shrunk failing input with everything needed to replay it
//! anywhere (`pgconform replay FILE`), without the generator that made it.
//!
//! A run writes `OUT/cases/<ID>-<hash>.json` for every failure; with
//! `--save-regressions` it also writes `proptest-regressions/cases/…`, which the
//! workspace test `tests/tests/regressions.rs` replays on every test run.

pub mod shrink;

use pgconform_reports::{FailureDetail, FailureRecord, RunReport, SutFile};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Version of the case-file format; bumped on any incompatible change
/// (3: a failure's JSON `expected` and `actual` are stored as JSON; formats 1
/// and 2 still load).
pub const CASE_FORMAT_VERSION: u32 = 3;

/// What replaying a committed case must show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    /// The case must still fail: a mutant's counterexample (the harness must
    /// keep killing that mutant with this input).
    Fail,
    /// The case must pass: a failure of the real kernel, kept as a regression
    /// test once the kernel is fixed.
    Pass,
}

/// The mutant a case was found on, with its content so it replays anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMutant {
    /// Path the mutant was loaded from.
    pub path: String,
    /// sha256 of `content`.
    pub sha256: String,
    /// The mutant's SQL.
    pub content: String,
}

/// The SUT a case was found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSut {
    /// Directory it was loaded from.
    pub dir: String,
    /// Fingerprint (covers the mutant too).
    pub fingerprint: String,
    /// Files and hashes.
    pub files: Vec<SutFile>,
}

/// The server a case was found on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseServer {
    /// `version()`.
    pub version: String,
    /// `server_version_num`.
    pub version_num: i32,
}

/// A replayable failing case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFile {
    /// [`CASE_FORMAT_VERSION`].
    #[serde(rename = "pgconform-case")]
    pub format_version: u32,
    /// Invariant ID.
    pub invariant: String,
    /// Its suite.
    pub suite: String,
    /// Its title.
    pub title: String,
    /// Run seed that found the case.
    pub seed: u64,
    /// What a regression replay must show.
    pub expect: Expect,
    /// The complete shrunk input, in the property's own serialised form.
    pub input: serde_json::Value,
    /// sha256 of the canonical JSON of `input` (detects edits and truncation).
    pub input_sha256: String,
    /// The failure observed on this input (`expected` and `actual` that are
    /// JSON stored as JSON, see [`failure_json`]).
    #[serde(with = "failure_json")]
    pub failure: FailureDetail,
    /// Cases run before the first failure.
    pub cases_to_failure: u64,
    /// Shrink steps accepted.
    pub shrink_steps: u64,
    /// The SUT.
    pub sut: CaseSut,
    /// The mutant, if the case was found on one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutant: Option<CaseMutant>,
    /// The user schema (`run --schema`) the drift invariants used, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_schema_sql: Option<String>,
    /// The server.
    pub server: CaseServer,
    /// pgconform version that wrote the case.
    pub pgconform_version: String,
    /// Its git revision, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_revision: Option<String>,
    /// When it was written (RFC 3339 UTC).
    pub created_at: String,
    /// sha256 of the canonical JSON of every other field (format 2 on): an
    /// edit anywhere in the file (the invariant, the expectation, the
    /// failure) is refused, not replayed as something else.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_sha256: Option<String>,
}

/// How a case file stores its failure: as [`FailureDetail`] serialises it,
/// except that an `expected` or `actual` holding a JSON object, array, number
/// or boolean is stored as that JSON rather than as a string of JSON. Only
/// text that serialises back byte for byte is embedded, so reading gives the
/// same strings; files that store them as strings (format 2) read as before.
pub mod failure_json {
    use pgconform_reports::FailureDetail;
    use serde::{
        de::Error as _, ser::Error as _, Deserialize, Deserializer, Serialize, Serializer,
    };
    use serde_json::Value;

    const VALUES: [&str; 2] = ["expected", "actual"];

    /// Serialise `detail` with its JSON values embedded.
    pub fn serialize<S: Serializer>(detail: &FailureDetail, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(detail).map_err(S::Error::custom)?;
        for key in VALUES {
            if let Some(slot) = v.get_mut(key) {
                if let Some(json) = slot.as_str().and_then(embeddable) {
                    *slot = json;
                }
            }
        }
        v.serialize(s)
    }

    /// Read a failure whose values are strings or embedded JSON.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FailureDetail, D::Error> {
        let mut v = Value::deserialize(d)?;
        for key in VALUES {
            if let Some(slot) = v.get_mut(key) {
                if !slot.is_string() && !slot.is_null() {
                    *slot = Value::String(slot.to_string());
                }
            }
        }
        serde_json::from_value(v).map_err(D::Error::custom)
    }

    /// `text` as JSON, when it is JSON other than a string or null and
    /// serialises back to exactly `text`.
    fn embeddable(text: &str) -> Option<Value> {
        let v: Value = serde_json::from_str(text).ok()?;
        let round_trips = serde_json::to_string(&v).is_ok_and(|back| back == text);
        (!v.is_string() && !v.is_null() && round_trips).then_some(v)
    }
}

/// A case file that cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum CaseFileError {
    /// Cannot read or write.
    #[error("cannot {op} case file {path}: {source}")]
    Io {
        /// `read` or `write`.
        op: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON or not a case file.
    #[error("{path}:{line}:{column}: not a pgconform case file: {message}")]
    Parse {
        /// The file.
        path: String,
        /// 1-based line (0 when unknown).
        line: usize,
        /// 1-based column (0 when unknown).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Parsed, but inconsistent (edited or damaged).
    #[error("{path}: corrupt case file: {message}")]
    Corrupt {
        /// The file.
        path: String,
        /// What does not match.
        message: String,
    },
}

/// sha256 hex of `bytes` (the oracle's one definition).
pub use pgconform_oracle::sha256_hex;

/// sha256 of the canonical (sorted-key, compact) JSON of `v`.
pub fn value_sha256(v: &serde_json::Value) -> String {
    sha256_hex(serde_json::to_vec(v).unwrap_or_default())
}

impl CaseFile {
    /// File name: `<ID>-<10 hex>.json`, stable for the same invariant, input and mutant.
    pub fn file_name(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.invariant.as_bytes());
        h.update(b"\0");
        h.update(self.input_sha256.as_bytes());
        if let Some(m) = &self.mutant {
            h.update(b"\0");
            h.update(m.sha256.as_bytes());
        }
        let hash = hex::encode(h.finalize());
        format!("{}-{}.json", self.invariant, &hash[..10])
    }

    /// Build the case for `failure` of invariant `id` in `report`.
    pub fn from_failure(
        report: &RunReport,
        id: &str,
        suite: &str,
        title: &str,
        failure: &FailureRecord,
        mutant: Option<CaseMutant>,
        user_schema_sql: Option<String>,
    ) -> Self {
        Self {
            format_version: CASE_FORMAT_VERSION,
            invariant: id.to_owned(),
            suite: suite.to_owned(),
            title: title.to_owned(),
            seed: report.seed,
            expect: if mutant.is_some() {
                Expect::Fail
            } else {
                Expect::Pass
            },
            input_sha256: value_sha256(&failure.input),
            input: failure.input.clone(),
            failure: failure.detail.clone(),
            cases_to_failure: failure.cases_to_failure,
            shrink_steps: failure.shrink_steps,
            sut: CaseSut {
                dir: report.sut.dir.clone(),
                fingerprint: report.sut.fingerprint.clone(),
                files: report.sut.files.clone(),
            },
            mutant,
            user_schema_sql,
            server: CaseServer {
                version: report.server.version.clone(),
                version_num: report.server.version_num,
            },
            pgconform_version: report.pgconform_version.clone(),
            git_revision: report.git_revision.clone(),
            created_at: report.started_at.clone(),
            case_sha256: None,
        }
    }

    /// sha256 of the canonical JSON of every field but `case_sha256`.
    pub fn whole_sha256(&self) -> String {
        let mut bare = self.clone();
        bare.case_sha256 = None;
        value_sha256(&serde_json::to_value(&bare).unwrap_or_default())
    }

    /// This case in the current format with its whole-file hash set, as
    /// every writer stores it.
    pub fn sealed(&self) -> Self {
        let mut c = self.clone();
        c.format_version = CASE_FORMAT_VERSION;
        c.case_sha256 = None;
        c.case_sha256 = Some(c.whole_sha256());
        c
    }

    /// Write into `dir` (created if needed); returns the file's path.
    pub fn write_into(&self, dir: &Path) -> Result<PathBuf, CaseFileError> {
        let path = dir.join(self.file_name());
        let io = |source| CaseFileError::Io {
            op: "write",
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut text = serde_json::to_string_pretty(&self.sealed())
            .map_err(|e| io(std::io::Error::other(e)))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(io)?;
        Ok(path)
    }

    /// Read, parse and check a case file.
    pub fn load(path: &Path) -> Result<Self, CaseFileError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CaseFileError::Io {
            op: "read",
            path: name.clone(),
            source,
        })?;
        Self::parse(&name, &text)
    }

    /// Parse and check case-file text; `name` names it in errors.
    pub fn parse(name: &str, text: &str) -> Result<Self, CaseFileError> {
        let raw: serde_json::Value =
            serde_json::from_str(text).map_err(|e| CaseFileError::Parse {
                path: name.to_owned(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let version = raw
            .get("pgconform-case")
            .and_then(serde_json::Value::as_u64);
        match version {
            None => {
                return Err(CaseFileError::Parse {
                    path: name.to_owned(),
                    line: 0,
                    column: 0,
                    message: "no numeric `pgconform-case` format field".to_owned(),
                })
            }
            Some(v) if v == 0 || v > u64::from(CASE_FORMAT_VERSION) => {
                return Err(CaseFileError::Parse {
                    path: name.to_owned(),
                    line: 0,
                    column: 0,
                    message: format!(
                        "case format {v} is not supported by this pgconform (supports {CASE_FORMAT_VERSION})"
                    ),
                })
            }
            Some(_) => {}
        }
        // The hash covers the file as written, not a re-serialisation of it.
        let mut bare = raw.clone();
        if let Some(o) = bare.as_object_mut() {
            o.remove("case_sha256");
        }
        let file_sha = value_sha256(&bare);
        let case: CaseFile = serde_json::from_value(raw).map_err(|e| CaseFileError::Parse {
            path: name.to_owned(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        let corrupt = |message: String| CaseFileError::Corrupt {
            path: name.to_owned(),
            message,
        };
        match &case.case_sha256 {
            Some(recorded) if *recorded != file_sha => {
                return Err(corrupt(format!(
                    "the case's sha256 is {file_sha}, the file records {recorded} (edited or damaged after it was written)"
                )))
            }
            None if case.format_version >= 2 => {
                return Err(corrupt(
                    "no `case_sha256`: a format-2 case file covers every field with its hash".to_owned(),
                ))
            }
            _ => {}
        }
        let sha = value_sha256(&case.input);
        if sha != case.input_sha256 {
            return Err(corrupt(format!(
                "the input's sha256 is {sha}, the file records {} (edited or damaged)",
                case.input_sha256
            )));
        }
        if let Some(m) = &case.mutant {
            let sha = sha256_hex(m.content.as_bytes());
            if sha != m.sha256 {
                return Err(corrupt(format!(
                    "the mutant's content has sha256 {sha}, the file records {}",
                    m.sha256
                )));
            }
        }
        Ok(case)
    }

    /// Materialise the recorded mutant as a file under `dir` (same base name
    /// as the original); `None` when the case has no mutant.
    pub fn write_mutant(&self, dir: &Path) -> Result<Option<PathBuf>, CaseFileError> {
        let Some(m) = &self.mutant else {
            return Ok(None);
        };
        let base = Path::new(&m.path)
            .file_name()
            .map_or_else(|| "mutant.sql".into(), |n| n.to_os_string());
        let path = dir.join(base);
        std::fs::write(&path, &m.content).map_err(|source| CaseFileError::Io {
            op: "write",
            path: path.display().to_string(),
            source,
        })?;
        Ok(Some(path))
    }
}

/// Read the mutant file `path` into a [`CaseMutant`].
pub fn case_mutant(path: &Path) -> std::io::Result<CaseMutant> {
    let bytes = std::fs::read(path)?;
    Ok(CaseMutant {
        path: path.display().to_string(),
        sha256: sha256_hex(&bytes),
        content: String::from_utf8_lossy(&bytes).into_owned(),
    })
}

/// A scratch directory removed on drop (for materialised mutants).
#[derive(Debug)]
pub struct ScratchDir(tempfile::TempDir);

impl ScratchDir {
    /// Create a fresh directory `pgconform-<tag>-…` under the system temp dir.
    pub fn new(tag: &str) -> std::io::Result<Self> {
        tempfile::Builder::new()
            .prefix(&format!("pgconform-{tag}-"))
            .tempdir()
            .map(Self)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

/// Write a case file for every failure in `report` into `out/cases/` (and,
/// when given, into `regressions/cases/`), and record each file's path
/// (relative to `out`) in the failure. `mutant` is the mutant file the run
/// applied, embedded so the case replays anywhere.
pub fn write_cases(
    report: &mut RunReport,
    out: &Path,
    mutant: Option<&Path>,
    user_schema_sql: Option<&str>,
    regressions: Option<&Path>,
) -> Result<Vec<PathBuf>, CaseFileError> {
    let mutant = match mutant {
        Some(p) => Some(case_mutant(p).map_err(|source| CaseFileError::Io {
            op: "read",
            path: p.display().to_string(),
            source,
        })?),
        None => None,
    };
    let cases_dir = out.join("cases");
    let mut written = Vec::new();
    let snapshot = report.clone();
    for r in &mut report.results {
        for f in &mut r.failures {
            let case = CaseFile::from_failure(
                &snapshot,
                &r.id,
                &r.suite,
                &r.title,
                f,
                mutant.clone(),
                user_schema_sql.map(str::to_owned),
            );
            let path = case.write_into(&cases_dir)?;
            f.case_file = Some(format!("cases/{}", case.file_name()));
            written.push(path);
            if let Some(dir) = regressions {
                written.push(case.write_into(&dir.join("cases"))?);
            }
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed_cases() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../proptest-regressions/cases");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("committed cases")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        files
    }

    /// Written by the format-2 writer, which stored `actual` as a string of JSON.
    const FORMAT_2: &str = include_str!("casefile/format-2-json-in-strings.json");

    #[test]
    fn committed_cases_still_load() {
        let files = committed_cases();
        assert!(!files.is_empty());
        for f in files {
            CaseFile::load(&f).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn format_2_cases_with_json_in_strings_still_load() {
        let case = CaseFile::parse("format-2.json", FORMAT_2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(case.format_version, 2);
        let actual = case.failure.actual.as_deref().unwrap_or("");
        assert!(actual.starts_with("{\"approval_id\":"), "{actual}");
        // An edit is still refused.
        let edited = FORMAT_2.replace(
            "an error with SQLSTATE 23514",
            "an error with SQLSTATE 23505",
        );
        assert!(matches!(
            CaseFile::parse("format-2.json", &edited),
            Err(CaseFileError::Corrupt { .. })
        ));
    }

    #[test]
    fn json_values_are_stored_as_json_and_read_back_as_written() {
        let mut case = CaseFile::parse("format-2.json", FORMAT_2).expect("a case");
        let actual = pgconform_reports::json_text(
            &serde_json::json!({"status": "opened", "ttl_seconds": 0}),
        );
        case.failure.expected = Some("an error with SQLSTATE 23514".to_owned());
        case.failure.actual = Some(actual.clone());
        let text = serde_json::to_string_pretty(&case.sealed()).expect("json");
        let stored: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(stored["failure"]["actual"]["status"], "opened", "{text}");
        assert_eq!(
            stored["failure"]["expected"],
            "an error with SQLSTATE 23514"
        );
        let back = CaseFile::parse("case.json", &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.failure.actual.as_deref(), Some(actual.as_str()));
        assert_eq!(back.failure, case.failure);
        // The hash still covers the embedded value.
        let edited = text.replace("\"opened\"", "\"closed\"");
        assert!(matches!(
            CaseFile::parse("case.json", &edited),
            Err(CaseFileError::Corrupt { .. })
        ));
    }
}
