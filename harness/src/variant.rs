//! Variants: legal kernels that choose differently where the contract leaves
//! the choice to the kernel (contract, "Variants"). The dual of mutants: every
//! invariant must pass on every variant.
//!
//! A variant is either one SQL file applied on top of the SUT like a mutant,
//!
//! ```sql
//! -- variant: null-actor-refused
//! -- choice: section 1, commit_action: a null p_actor_id is the kernel's choice
//! -- why: a kernel that refuses a null actor is as correct as one that stores JSON null
//! ```
//!
//! or, for a choice of layout, a directory with its own `MANIFEST` (which may
//! reuse the reference kernel's files by relative path) whose first comment
//! lines are `# variant:`, `# choice:` and `# why:`.

use crate::sql_files::Unreadable;
use std::path::{Path, PathBuf};

/// The parsed header of a variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantHeader {
    /// `variant:` name.
    pub name: String,
    /// `choice:` the contract clause that leaves the choice to the kernel.
    pub choice: String,
    /// `why:` text.
    pub why: String,
}

/// How a variant is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VariantKind {
    /// One SQL file run after the SUT installs.
    File(PathBuf),
    /// A SUT directory of its own.
    Sut(PathBuf),
}

/// A variant with its header.
#[derive(Debug, Clone)]
pub struct Variant {
    /// File or directory.
    pub kind: VariantKind,
    /// Its header.
    pub header: VariantHeader,
}

impl Variant {
    /// The file or directory.
    pub fn path(&self) -> &Path {
        match &self.kind {
            VariantKind::File(p) | VariantKind::Sut(p) => p,
        }
    }
}

/// A variant that cannot be used (a usage error naming the file).
#[derive(Debug, thiserror::Error)]
pub enum VariantError {
    /// Cannot read the file or directory.
    #[error(transparent)]
    Read(#[from] Unreadable),
    /// The header is missing a line or malformed.
    #[error("{path}: invalid variant header: {message} (expected `{prefix} variant: NAME`, `{prefix} choice: CLAUSE`, `{prefix} why: TEXT` as the first comment lines)")]
    Header {
        /// The file.
        path: PathBuf,
        /// `--` or `#`.
        prefix: &'static str,
        /// What is wrong.
        message: String,
    },
    /// No variants found.
    #[error("no variants (*.sql files or directories with a MANIFEST) under {0}")]
    Empty(PathBuf),
}

/// Parse the header of variant file `path` (`--` comments in SQL, `#` in a
/// MANIFEST) with content `text`.
pub fn parse_header(path: &Path, text: &str) -> Result<VariantHeader, VariantError> {
    let prefix = if path.file_name().is_some_and(|n| n == crate::sut::MANIFEST) {
        "#"
    } else {
        "--"
    };
    let bad = |message: String| VariantError::Header {
        path: path.to_path_buf(),
        prefix,
        message,
    };
    let mut h = crate::header::parse(text, prefix, &["variant", "choice", "why"]).map_err(bad)?;
    let mut take = |k: &str| h.remove(k).unwrap_or_default();
    let header = VariantHeader {
        name: take("variant"),
        choice: take("choice"),
        why: take("why"),
    };
    crate::header::check_name("variant", &header.name).map_err(bad)?;
    Ok(header)
}

fn read(path: &Path) -> Result<String, Unreadable> {
    std::fs::read_to_string(path).map_err(|source| Unreadable {
        path: path.to_path_buf(),
        source,
    })
}

/// Load the variant at `path`: a `.sql` file or a directory with a MANIFEST.
pub fn load(path: &Path) -> Result<Variant, VariantError> {
    if path.is_dir() {
        let manifest = path.join(crate::sut::MANIFEST);
        let header = parse_header(&manifest, &read(&manifest)?)?;
        return Ok(Variant {
            kind: VariantKind::Sut(path.to_path_buf()),
            header,
        });
    }
    let header = parse_header(path, &read(path)?)?;
    Ok(Variant {
        kind: VariantKind::File(path.to_path_buf()),
        header,
    })
}

/// Every variant under `dir` (recursively, sorted by path): `*.sql` files and
/// directories holding a MANIFEST (not searched further); or `dir` itself when
/// it is one variant.
pub fn discover(dir: &Path) -> Result<Vec<Variant>, VariantError> {
    let is_sut_dir = |d: &Path| d.join(crate::sut::MANIFEST).is_file();
    let paths = crate::sql_files::find(dir, is_sut_dir)?;
    if paths.is_empty() {
        return Err(VariantError::Empty(dir.to_path_buf()));
    }
    paths.iter().map(|p| load(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sql_and_manifest_headers() {
        let h = parse_header(
            Path::new("v.sql"),
            "-- variant: a-b\n-- choice: section 1\n-- why: because\nCREATE ...",
        )
        .expect("valid header");
        assert_eq!(
            (h.name.as_str(), h.choice.as_str(), h.why.as_str()),
            ("a-b", "section 1", "because")
        );
        let h = parse_header(
            Path::new("d/MANIFEST"),
            "# variant: layout\n# choice: section 0\n# why: w\ninstall ../x.sql\n",
        )
        .expect("valid manifest header");
        assert_eq!(h.name, "layout");
    }

    #[test]
    fn refuses_a_mutant_header_and_missing_lines() {
        for text in [
            "-- mutant: a\n-- kills: DUR-RT\n-- why: x\n",
            "-- variant: a\n-- why: x\n",
            "-- variant: a\n-- choice: \n-- why: x\n",
            "-- variant: a b\n-- choice: c\n-- why: x\n",
        ] {
            let e = parse_header(Path::new("dir/bad.sql"), text).expect_err(text);
            assert!(
                e.to_string()
                    .starts_with("dir/bad.sql: invalid variant header"),
                "{e}"
            );
        }
    }
}
