//! A lexer of PostgreSQL's SQL text: quoting (`'…'`, `E'…'` with backslash
//! escapes, `"…"`, `$tag$…$tag$`) and comments (`--`, nested `/* */`), so a
//! word inside a string or comment is never taken for a keyword. Used by the
//! SUT check (top-level statements) and by fault injection (where a body
//! begins), so neither depends on how a kernel lays out its code.

/// One token of SQL text, as far as telling code from non-code needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'a> {
    /// A whitespace byte.
    Space,
    /// A `--` or (nested) `/* */` comment.
    Comment,
    /// A quoted run: `'…'`, `E'…'`, `"…"` or `$tag$…$tag$`.
    Quoted,
    /// An identifier or keyword, as written.
    Word(&'a str),
    /// Any other byte (`;`, an operator, a lone `$`).
    Other(u8),
}

/// A cursor over SQL text that can skip PostgreSQL's quoted runs and comments.
#[derive(Debug)]
pub struct Lexer<'a> {
    /// The text.
    pub src: &'a [u8],
    /// Byte offset of the cursor.
    pub pos: usize,
    /// Line of the cursor (1-based).
    pub line: usize,
}

impl<'a> Lexer<'a> {
    /// A cursor at the start of `sql`.
    pub fn new(sql: &'a str) -> Self {
        Self {
            src: sql.as_bytes(),
            pos: 0,
            line: 1,
        }
    }

    /// The next token and the line it starts on; `None` at the end.
    pub fn next_token(&mut self) -> Option<(Token<'a>, usize)> {
        let line = self.line;
        let c = self.peek(0)?;
        let token = match c {
            b'-' if self.peek(1) == Some(b'-') => {
                while self.bump().is_some_and(|c| c != b'\n') {}
                Token::Comment
            }
            b'/' if self.peek(1) == Some(b'*') => {
                self.bump();
                self.bump();
                self.skip_block_comment();
                Token::Comment
            }
            b'\'' | b'"' => {
                self.bump();
                self.skip_quoted(c, false);
                Token::Quoted
            }
            b'$' if self.dollar_tag_len().is_some() => {
                let n = self.dollar_tag_len().unwrap_or(1);
                self.skip_dollar_quoted(n);
                Token::Quoted
            }
            c if c.is_ascii_whitespace() => {
                self.bump();
                Token::Space
            }
            c if is_word_byte(c) && c != b'$' => {
                let from = self.pos;
                while self.peek(0).is_some_and(is_word_byte) {
                    self.bump();
                }
                // Word boundaries are ASCII bytes, so the slice is UTF-8.
                let word = std::str::from_utf8(&self.src[from..self.pos]).unwrap_or_default();
                if word.eq_ignore_ascii_case("E") && self.peek(0) == Some(b'\'') {
                    // E'…': an escape string.
                    self.bump();
                    self.skip_quoted(b'\'', true);
                    Token::Quoted
                } else {
                    Token::Word(word)
                }
            }
            c => {
                self.bump();
                Token::Other(c)
            }
        };
        Some((token, line))
    }

    /// The byte `off` bytes ahead.
    fn peek(&self, off: usize) -> Option<u8> {
        self.src.get(self.pos + off).copied()
    }

    /// Consume one byte.
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek(0)?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    /// Skip a quoted run closed by `close`, doubling allowed; `backslash`
    /// enables `E'…'` escapes.
    fn skip_quoted(&mut self, close: u8, backslash: bool) {
        while let Some(c) = self.bump() {
            if backslash && c == b'\\' {
                self.bump();
            } else if c == close {
                if self.peek(0) == Some(close) {
                    self.bump();
                } else {
                    return;
                }
            }
        }
    }

    /// Skip a (nested) block comment whose `/*` is consumed.
    fn skip_block_comment(&mut self) {
        let mut depth = 1usize;
        while depth > 0 {
            match (self.bump(), self.peek(0)) {
                (None, _) => return,
                (Some(b'/'), Some(b'*')) => {
                    self.bump();
                    depth += 1;
                }
                (Some(b'*'), Some(b'/')) => {
                    self.bump();
                    depth -= 1;
                }
                _ => {}
            }
        }
    }

    /// At `$`: a dollar-quote opener `$tag$` (tag: identifier chars, not
    /// starting with a digit)? Returns the opener's length.
    fn dollar_tag_len(&self) -> Option<usize> {
        let mut i = 1;
        while let Some(c) = self.peek(i) {
            if c == b'$' {
                return Some(i + 1);
            }
            let ok =
                c == b'_' || c.is_ascii_alphabetic() || c >= 0x80 || (i > 1 && c.is_ascii_digit());
            if !ok {
                return None;
            }
            i += 1;
        }
        None
    }

    /// Skip a dollar-quoted run starting at the cursor.
    fn skip_dollar_quoted(&mut self, tag_len: usize) {
        let tag = self.src[self.pos..self.pos + tag_len].to_vec();
        for _ in 0..tag_len {
            self.bump();
        }
        while self.peek(0).is_some() {
            if self.src[self.pos..].starts_with(&tag) {
                for _ in 0..tag_len {
                    self.bump();
                }
                return;
            }
            self.bump();
        }
    }
}

/// A byte that may be part of an identifier or keyword.
fn is_word_byte(c: u8) -> bool {
    c == b'_' || c == b'$' || c.is_ascii_alphanumeric() || c >= 0x80
}

/// Byte offset just past the first `keyword` (case-insensitive, a whole
/// word) outside quotes and comments, if any.
pub fn keyword_end(sql: &str, keyword: &str) -> Option<usize> {
    let mut lx = Lexer::new(sql);
    while let Some((token, _)) = lx.next_token() {
        if matches!(token, Token::Word(w) if w.eq_ignore_ascii_case(keyword)) {
            return Some(lx.pos);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::keyword_end;

    #[test]
    fn finds_the_first_keyword_outside_quotes_and_comments() {
        let body = "\n-- begin here?\n/* BEGIN /* nested */ begin */ DECLARE x text := 'begin'; y text := E'\\' begin'; \"begin\" int; z text := $q$ BEGIN $q$;\nbegin\n  RETURN 1;\nEND";
        let end = keyword_end(body, "BEGIN").expect("found");
        assert_eq!(&body[end - 5..end], "begin");
        assert!(body[end..].starts_with("\n  RETURN"));
        assert_eq!(keyword_end("SELECT 'BEGIN' -- BEGIN", "begin"), None);
        assert_eq!(keyword_end("beginning BEGIN_x", "begin"), None);
    }
}
