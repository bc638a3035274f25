//! Finding the files of mutants and variants: the `*.sql` files under a
//! directory, searched recursively and listed in path order.

use std::path::{Path, PathBuf};

/// A mutant or variant file, or a directory searched for them, that cannot
/// be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct Unreadable {
    /// The file or directory.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// `root` alone when it is a file or `is_whole(root)`; otherwise every
/// `*.sql` file below `root` and every directory for which `is_whole` holds
/// (taken as one, not searched further), sorted by path.
pub fn find(root: &Path, is_whole: impl Fn(&Path) -> bool) -> Result<Vec<PathBuf>, Unreadable> {
    if root.is_file() || is_whole(root) {
        return Ok(vec![root.to_path_buf()]);
    }
    let mut found = Vec::new();
    collect(root, &is_whole, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(
    dir: &Path,
    is_whole: &impl Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<(), Unreadable> {
    let unreadable = |source| Unreadable {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        if path.is_dir() {
            if is_whole(&path) {
                out.push(path);
            } else {
                collect(&path, is_whole, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "sql") {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sql_files_recursively_in_order_keeping_whole_directories_whole() {
        let root = tempfile::tempdir().expect("tempdir");
        let r = root.path();
        for dir in ["b", "a/deep", "unit/inner"] {
            std::fs::create_dir_all(r.join(dir)).expect("mkdir");
        }
        for file in [
            "b/2.sql",
            "a/deep/1.sql",
            "a/notes.txt",
            "unit/MANIFEST",
            "unit/inner/x.sql",
        ] {
            std::fs::write(r.join(file), "").expect("write");
        }
        let names = |found: Vec<PathBuf>| -> Vec<String> {
            found
                .iter()
                .map(|p| p.strip_prefix(r).expect("below root").display().to_string())
                .collect()
        };
        let all = find(r, |_| false).expect("readable");
        assert_eq!(names(all), ["a/deep/1.sql", "b/2.sql", "unit/inner/x.sql"]);
        let with_units = find(r, |d| d.join("MANIFEST").is_file()).expect("readable");
        assert_eq!(names(with_units), ["a/deep/1.sql", "b/2.sql", "unit"]);
        let one = find(&r.join("a/notes.txt"), |_| false).expect("a file");
        assert_eq!(names(one), ["a/notes.txt"]);
    }
}
