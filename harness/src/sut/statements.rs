//! Top-level statements of a SQL file, found with a real lexer.
//!
//! The lexer knows PostgreSQL's quoting (`'…'`, `E'…'` with backslash
//! escapes, `"…"`, `$tag$…$tag$`), comments (`--`, nested `/* */`) and
//! SQL-standard routine bodies (`BEGIN ATOMIC … END`, with `CASE … END`
//! inside), so a `BEGIN` inside a function body, a DO block, a string or a
//! comment is never taken for a statement.

/// One top-level statement: its first line (1-based) and its leading
/// keywords, upper-cased (at most three, enough to classify it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Line of the statement's first token.
    pub line: usize,
    /// The first words of the statement, upper-cased.
    pub head: Vec<String>,
}

impl Statement {
    /// The transaction-control command this statement is, if any
    /// (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, …), as written.
    pub fn transaction_control(&self) -> Option<String> {
        let w = |i: usize| self.head.get(i).map(String::as_str);
        let two = || format!("{} {}", w(0).unwrap_or(""), w(1).unwrap_or(""));
        match w(0)? {
            "BEGIN" | "COMMIT" | "END" | "ABORT" | "SAVEPOINT" | "RELEASE" => Some(match w(1) {
                Some("PREPARED") | Some("TRANSACTION") | Some("WORK") | Some("SAVEPOINT") => two(),
                _ => w(0)?.to_owned(),
            }),
            "ROLLBACK" => Some(match w(1) {
                Some("PREPARED") | Some("TO") | Some("TRANSACTION") | Some("WORK") => two(),
                _ => "ROLLBACK".to_owned(),
            }),
            "START" if w(1) == Some("TRANSACTION") => Some(two()),
            "PREPARE" if w(1) == Some("TRANSACTION") => Some(two()),
            _ => None,
        }
    }
}

use pgconform_scenarios::sql_lexer::{Lexer, Token};

/// Split `sql` into its top-level statements.
pub fn statements(sql: &str) -> Vec<Statement> {
    let mut lx = Lexer::new(sql);
    let mut st = Splitter::default();
    while let Some((token, line)) = lx.next_token() {
        match token {
            Token::Space | Token::Comment => {}
            Token::Other(b';') => st.semicolon(),
            Token::Word(word) => {
                st.start(line);
                st.word(word.to_ascii_uppercase());
            }
            Token::Quoted | Token::Other(_) => st.start(line),
        }
    }
    st.finish()
}

/// The statements found so far and the one being read.
#[derive(Default)]
struct Splitter {
    out: Vec<Statement>,
    current: Option<Statement>,
    /// The previous word of this statement (upper-cased), for BEGIN ATOMIC.
    prev_word: String,
    /// How deep inside `BEGIN ATOMIC … END` (and its CASE … END) we are.
    atomic_depth: usize,
}

impl Splitter {
    /// Something that is not a comment or blank: a statement starts on
    /// `line` unless one is already open.
    fn start(&mut self, line: usize) {
        if self.current.is_none() {
            self.current = Some(Statement {
                line,
                head: Vec::new(),
            });
        }
    }

    /// A `;`: it ends the statement unless inside a `BEGIN ATOMIC` body.
    fn semicolon(&mut self) {
        if self.atomic_depth == 0 {
            if let Some(s) = self.current.take() {
                self.out.push(s);
            }
            self.prev_word.clear();
        }
    }

    /// A word of the open statement: kept if among its first three, and
    /// tracked for `BEGIN ATOMIC` bodies inside CREATE statements.
    fn word(&mut self, word: String) {
        let is_create = self
            .current
            .as_ref()
            .is_some_and(|s| s.head.first().is_some_and(|w| w == "CREATE"));
        if let Some(s) = self.current.as_mut() {
            if s.head.len() < 3 {
                s.head.push(word.clone());
            }
        }
        if is_create {
            match word.as_str() {
                "ATOMIC" if self.prev_word == "BEGIN" => self.atomic_depth += 1,
                "CASE" if self.atomic_depth > 0 => self.atomic_depth += 1,
                "END" if self.atomic_depth > 0 => self.atomic_depth -= 1,
                _ => {}
            }
        }
        self.prev_word = word;
    }

    /// The statements, the last one even without a closing `;`.
    fn finish(mut self) -> Vec<Statement> {
        if let Some(s) = self.current.take() {
            self.out.push(s);
        }
        self.out
    }
}

/// Every top-level transaction-control statement of `sql`: (line, command).
pub fn transaction_control(sql: &str) -> Vec<(usize, String)> {
    statements(sql)
        .into_iter()
        .filter_map(|s| s.transaction_control().map(|c| (s.line, c)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(sql: &str) -> Vec<(usize, String)> {
        transaction_control(sql)
    }

    #[test]
    fn finds_top_level_transaction_control_with_lines() {
        let sql = "CREATE TABLE t (a int);\nBEGIN;\nINSERT INTO t VALUES (1);\ncommit;\n\
                   start transaction; savepoint s; rollback to savepoint s; END;\nrelease s;";
        assert_eq!(
            tc(sql),
            vec![
                (2, "BEGIN".to_owned()),
                (4, "COMMIT".to_owned()),
                (5, "START TRANSACTION".to_owned()),
                (5, "SAVEPOINT".to_owned()),
                (5, "ROLLBACK TO".to_owned()),
                (5, "END".to_owned()),
                (6, "RELEASE".to_owned()),
            ]
        );
    }

    #[test]
    fn ignores_begin_inside_bodies_strings_and_comments() {
        let sql = r#"
CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1; COMMIT;
END $$;
DO $do$ BEGIN RAISE NOTICE 'x'; END $do$;
CREATE FUNCTION g() RETURNS text LANGUAGE sql AS 'SELECT ''BEGIN; COMMIT;''';
SELECT E'it\'s; BEGIN;';
-- BEGIN;
/* COMMIT; /* nested; */ ROLLBACK; */
SELECT "BEGIN" FROM (SELECT 1 AS "BEGIN") x;
CREATE FUNCTION h(a int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;
  SELECT a;
END;
SELECT $1$;
"#;
        assert_eq!(tc(sql), Vec::<(usize, String)>::new());
        // The statements after the BEGIN ATOMIC body are still split.
        let n = statements(sql).len();
        assert_eq!(n, 7, "{:?}", statements(sql));
    }

    #[test]
    fn a_statement_after_a_body_is_found() {
        let sql =
            "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\nCOMMIT;";
        assert_eq!(tc(sql), vec![(2, "COMMIT".to_owned())]);
    }
}
