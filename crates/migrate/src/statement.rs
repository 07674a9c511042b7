//! Splitting a migration file into statements, with line numbers.
//!
//! The splitter knows just enough SQL lexing to find the `;` that ends a
//! statement: `--` and `/* */` comments, `'strings'` (with `''` and, in
//! `E'…'` strings, backslash escapes), `"identifiers"`, `` `identifiers` ``,
//! `[identifiers]`, PostgreSQL dollar quotes (`$$…$$`, `$tag$…$tag$`) and
//! `BEGIN … END` bodies of `CREATE TRIGGER` (SQLite) and `BEGIN ATOMIC`
//! (PostgreSQL). Each statement is then parsed on its own, so one statement
//! the parser does not understand does not hide the others. The runner uses
//! the same split to execute statement by statement and name the one that
//! failed.

/// One statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    /// The statement without its terminating `;` and surrounding blank space.
    pub text: String,
    /// 1-based line of the statement's first character.
    pub line: usize,
    /// 1-based line of its last character.
    pub end_line: usize,
    /// The `--` comments between the previous statement and this one, with
    /// their 1-based lines (the comment text after `--`, trimmed).
    pub leading_comments: Vec<(usize, String)>,
}

/// Splits `sql` into statements. Never fails: an unterminated string or
/// comment simply runs to the end of the text (the parser reports it).
pub fn split_statements(sql: &str) -> Vec<SqlStatement> {
    Splitter::new(sql).run()
}

struct Splitter<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: usize,
    out: Vec<SqlStatement>,
    /// Byte offset and line where the current statement's first token starts.
    start: Option<(usize, usize)>,
    comments: Vec<(usize, String)>,
    /// Upper-cased words of the current statement (only the first few and
    /// the last one are needed).
    words: Vec<String>,
    /// Nesting of `BEGIN … END` inside a trigger or `BEGIN ATOMIC` body.
    body_depth: usize,
}

const HEAD_WORDS: usize = 4;

impl<'a> Splitter<'a> {
    fn new(src: &'a str) -> Self {
        Splitter {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            line: 1,
            out: Vec::new(),
            start: None,
            comments: Vec::new(),
            words: Vec::new(),
            body_depth: 0,
        }
    }

    fn run(mut self) -> Vec<SqlStatement> {
        while self.pos < self.bytes.len() {
            let c = self.bytes[self.pos];
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b if b.is_ascii_whitespace() => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b';' if self.body_depth == 0 => {
                    self.finish(self.pos);
                    self.pos += 1;
                }
                _ => {
                    self.mark_start();
                    self.token();
                }
            }
        }
        self.finish(self.bytes.len());
        self.out
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn mark_start(&mut self) {
        if self.start.is_none() {
            self.start = Some((self.pos, self.line));
        }
    }

    fn advance_to(&mut self, end: usize) {
        let end = end.min(self.bytes.len());
        self.line += self.bytes[self.pos..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.pos = end;
    }

    fn line_comment(&mut self) {
        let end = self.src[self.pos..]
            .find('\n')
            .map_or(self.bytes.len(), |i| self.pos + i);
        if self.start.is_none() {
            let text = self.src[self.pos + 2..end].trim().to_string();
            self.comments.push((self.line, text));
        }
        self.pos = end;
    }

    fn block_comment(&mut self) {
        let end = self.src[self.pos + 2..]
            .find("*/")
            .map_or(self.bytes.len(), |i| self.pos + 2 + i + 2);
        self.advance_to(end);
    }

    /// Consumes one token that is not blank space or a comment.
    fn token(&mut self) {
        let c = self.bytes[self.pos];
        match c {
            b'\'' => {
                let escapes = self.pos > 0
                    && matches!(self.bytes[self.pos - 1], b'E' | b'e')
                    && (self.pos < 2 || !is_word_byte(self.bytes[self.pos - 2]));
                self.quoted(b'\'', escapes);
            }
            b'"' => self.quoted(b'"', false),
            b'`' => self.quoted(b'`', false),
            b'[' if self.in_sqlite_identifier_position() => self.quoted(b']', false),
            b'$' => self.dollar(),
            b if is_word_byte(b) => self.word(),
            _ => self.pos += 1,
        }
    }

    /// `[` starts a SQLite identifier unless it follows something that can
    /// be indexed (PostgreSQL arrays: `a[1]`, `ARRAY[1]`).
    fn in_sqlite_identifier_position(&self) -> bool {
        let before = self.src[..self.pos].trim_end();
        !(before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ']' || c == ')'))
    }

    fn quoted(&mut self, close: u8, backslash_escapes: bool) {
        let mut i = self.pos + 1;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if backslash_escapes && b == b'\\' {
                i += 2;
                continue;
            }
            if b == close {
                if close != b']' && self.bytes.get(i + 1) == Some(&close) {
                    i += 2;
                    continue;
                }
                i += 1;
                self.advance_to(i);
                return;
            }
            i += 1;
        }
        self.advance_to(self.bytes.len());
    }

    fn dollar(&mut self) {
        let rest = &self.src[self.pos + 1..];
        let tag_len = rest
            .char_indices()
            .take_while(|(i, c)| {
                c.is_alphanumeric() || *c == '_' && !(*i == 0 && c.is_ascii_digit())
            })
            .map(|(i, c)| i + c.len_utf8())
            .last()
            .unwrap_or(0);
        let tag = &rest[..tag_len];
        let starts_like_tag = tag.chars().next().is_none_or(|c| !c.is_ascii_digit());
        if starts_like_tag && rest[tag_len..].starts_with('$') {
            let delimiter = format!("${tag}$");
            let body = self.pos + delimiter.len();
            let end = self.src[body..]
                .find(&delimiter)
                .map_or(self.bytes.len(), |i| body + i + delimiter.len());
            self.advance_to(end);
        } else {
            self.pos += 1;
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        while self.pos < self.bytes.len() && is_word_byte(self.bytes[self.pos]) {
            self.pos += 1;
        }
        let word = self.src[start..self.pos].to_ascii_uppercase();
        let head: Vec<&str> = self
            .words
            .iter()
            .take(HEAD_WORDS)
            .map(String::as_str)
            .collect();
        let is_trigger = matches!(
            head.as_slice(),
            ["CREATE", "TRIGGER", ..] | ["CREATE", "TEMP" | "TEMPORARY", "TRIGGER", ..]
        ) || matches!(head.as_slice(), ["CREATE", "OR", "REPLACE", "TRIGGER"]);
        match word.as_str() {
            "BEGIN" if is_trigger || self.body_depth > 0 => self.body_depth += 1,
            "ATOMIC" if self.words.last().is_some_and(|w| w == "BEGIN") && self.body_depth == 0 => {
                self.body_depth += 1
            }
            "CASE" if self.body_depth > 0 => self.body_depth += 1,
            "END" if self.body_depth > 0 => self.body_depth -= 1,
            _ => {}
        }
        self.words.push(word);
    }

    fn finish(&mut self, end: usize) {
        let comments = std::mem::take(&mut self.comments);
        self.words.clear();
        self.body_depth = 0;
        let Some((start, line)) = self.start.take() else {
            return;
        };
        let text = self.src[start..end].trim_end();
        let end_line = line + text.bytes().filter(|b| *b == b'\n').count();
        self.out.push(SqlStatement {
            text: text.to_string(),
            line,
            end_line,
            leading_comments: comments,
        });
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<(usize, String)> {
        split_statements(sql)
            .into_iter()
            .map(|s| (s.line, s.text))
            .collect()
    }

    #[test]
    fn statements_are_split_on_semicolons_with_their_first_line() {
        let sql =
            "-- header\nCREATE TABLE a (id int);\n\nALTER TABLE a\n  ADD COLUMN b text;\nSELECT 1";
        assert_eq!(
            texts(sql),
            vec![
                (2, "CREATE TABLE a (id int)".to_string()),
                (4, "ALTER TABLE a\n  ADD COLUMN b text".to_string()),
                (6, "SELECT 1".to_string()),
            ]
        );
    }

    #[test]
    fn semicolons_in_strings_comments_and_dollar_quotes_do_not_split() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\"); /* x; y */ SELECT E'it\\'s;';\n\
                   CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n\
                   DO $$ BEGIN PERFORM 1; END $$;";
        let got = texts(sql);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(got[2].1.ends_with("LANGUAGE sql"));
        assert!(got[3].1.starts_with("DO $$"));
    }

    #[test]
    fn sqlite_trigger_bodies_stay_in_one_statement() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = n + 1;\n  SELECT CASE WHEN 1 THEN 2 END;\nEND;\nSELECT 2;";
        let got = texts(sql);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert_eq!(got[1], (5, "SELECT 2".to_string()));
    }

    #[test]
    fn comments_before_a_statement_are_kept_with_their_lines() {
        let sql = "SELECT 1;\n-- daytwo:allow drop-column reason=\"x\"\n\nALTER TABLE a DROP COLUMN b; -- trailing\n";
        let statements = split_statements(sql);
        assert_eq!(
            statements[1].leading_comments,
            vec![(2, "daytwo:allow drop-column reason=\"x\"".to_string())]
        );
        assert_eq!(statements[1].line, 4);
        assert_eq!(statements.len(), 2);
    }

    #[test]
    fn a_file_of_only_comments_has_no_statements() {
        assert!(split_statements("-- nothing\n/* here */\n;\n").is_empty());
    }
}
