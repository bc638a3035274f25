//! The comment header of a mutant or variant file: the leading block of
//! comment lines, each `KEY: value`; every wanted key exactly once.

use std::collections::BTreeMap;

/// Parse the header of `text` whose comment lines start with `prefix`
/// (`--` in SQL files, `#` in a MANIFEST). Returns the value of every key in
/// `keys`, or what is wrong in one line.
pub fn parse(text: &str, prefix: &str, keys: &[&str]) -> Result<BTreeMap<String, String>, String> {
    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix(prefix) else {
            break;
        };
        let Some((key, value)) = comment.split_once(':') else {
            continue;
        };
        let key = key.trim();
        if !keys.contains(&key) {
            continue;
        }
        if found
            .insert(key.to_owned(), value.trim().to_owned())
            .is_some()
        {
            return Err(format!("`{prefix} {key}:` appears twice"));
        }
    }
    for key in keys {
        match found.get(*key) {
            None => return Err(format!("no `{prefix} {key}:` line")),
            Some(v) if v.is_empty() => return Err(format!("`{prefix} {key}:` is empty")),
            Some(_) => {}
        }
    }
    Ok(found)
}

/// A header name: one non-empty word.
pub fn check_name(kind: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "the {kind} name `{name}` must be one non-empty word"
        ));
    }
    Ok(())
}
