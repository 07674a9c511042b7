//! A small per-language lexer that finds string literals and skips comments,
//! so quotes inside comments or char literals do not derail extraction. It
//! also yields the *masked* source: the code with every literal, comment and
//! char literal blanked (newlines kept), so declarations, braces and calls
//! can be found without being fooled by text.

use crate::language::Language;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiteralKind {
    Plain,
    /// Python f-string: `{expr}` is a placeholder.
    FString,
    /// JavaScript template literal: `${expr}` is a placeholder.
    TemplateLiteral,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    /// 1-based line of the opening quote.
    pub line: u32,
    /// Byte offset of the literal's first byte (prefix or quote).
    pub start: usize,
    /// Byte offset just past the closing quote.
    pub end: usize,
    pub text: String,
    pub kind: LiteralKind,
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: u32,
    literals: Vec<Literal>,
    /// Comments and char literals: `start..end` byte ranges.
    skipped: Vec<(usize, usize)>,
}

/// A lexed source file.
#[derive(Debug, Clone)]
pub struct Lexed {
    /// Every string literal, in order.
    pub literals: Vec<Literal>,
    /// The source with literals, comments and char literals replaced by
    /// spaces (newlines kept): byte offsets and lines are the source's.
    pub masked: String,
}

/// Every string literal of `source`, in order.
#[cfg(test)]
pub fn literals(language: Language, source: &str) -> Vec<Literal> {
    lex(language, source).literals
}

/// The literals of `source` and its masked code.
pub fn lex(language: Language, source: &str) -> Lexed {
    let mut lexer = Lexer {
        src: source.as_bytes(),
        pos: 0,
        line: 1,
        literals: Vec::new(),
        skipped: Vec::new(),
    };
    lexer.run(language);
    let mut masked = source.as_bytes().to_vec();
    let ranges = lexer
        .literals
        .iter()
        .map(|literal| (literal.start, literal.end))
        .chain(lexer.skipped.iter().copied());
    for (start, end) in ranges {
        for byte in &mut masked[start.min(source.len())..end.min(source.len())] {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    // Ranges start and end on ASCII bytes (quotes, comment markers) or the
    // end of the text, and every byte inside them became a space.
    let masked = String::from_utf8(masked)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
    Lexed {
        literals: lexer.literals,
        masked,
    }
}

impl Lexer<'_> {
    fn peek(&self, offset: usize) -> Option<u8> {
        self.src.get(self.pos + offset).copied()
    }

    fn starts_with(&self, text: &[u8]) -> bool {
        self.src[self.pos..].starts_with(text)
    }

    fn advance(&mut self, count: usize) {
        for _ in 0..count {
            if self.pos < self.src.len() {
                if self.src[self.pos] == b'\n' {
                    self.line += 1;
                }
                self.pos += 1;
            }
        }
    }

    fn previous_is_identifier(&self) -> bool {
        self.pos > 0 && {
            let byte = self.src[self.pos - 1];
            byte.is_ascii_alphanumeric() || byte == b'_'
        }
    }

    fn run(&mut self, language: Language) {
        while self.pos < self.src.len() {
            let byte = self.src[self.pos];
            let hash_comment = language == Language::Python && byte == b'#';
            let slash_comment = language != Language::Python && self.starts_with(b"//");
            if hash_comment || slash_comment {
                let start = self.pos;
                while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                    self.pos += 1;
                }
                self.skipped.push((start, self.pos));
                continue;
            }
            if language != Language::Python && self.starts_with(b"/*") {
                let start = self.pos;
                self.skip_block_comment();
                self.skipped.push((start, self.pos));
                continue;
            }
            match language {
                Language::Rust => self.rust_token(),
                Language::Python => self.python_token(),
                Language::Go => self.go_token(),
                Language::JavaScript => self.js_token(),
                Language::Java => self.java_token(),
            }
        }
    }

    fn skip_block_comment(&mut self) {
        self.advance(2);
        while self.pos < self.src.len() && !self.starts_with(b"*/") {
            self.advance(1);
        }
        self.advance(2);
    }

    fn push(&mut self, line: u32, start: usize, bytes: Vec<u8>, kind: LiteralKind) {
        self.literals.push(Literal {
            line,
            start,
            end: self.pos,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            kind,
        });
    }

    /// Reads a quoted literal whose opening quote is at `pos`, resolving the
    /// common escapes when `escapes` is true.
    fn quoted(&mut self, quote: &[u8], escapes: bool) -> Vec<u8> {
        self.advance(quote.len());
        let mut out = Vec::new();
        while self.pos < self.src.len() {
            if self.starts_with(quote) {
                self.advance(quote.len());
                return out;
            }
            let byte = self.src[self.pos];
            if escapes && byte == b'\\' {
                match self.peek(1) {
                    Some(b'n') => out.push(b'\n'),
                    Some(b't') => out.push(b'\t'),
                    Some(b'\n') => {
                        // Rust line continuation: skip the leading whitespace.
                        self.advance(2);
                        while matches!(self.peek(0), Some(b' ' | b'\t')) {
                            self.advance(1);
                        }
                        continue;
                    }
                    Some(other) => out.push(other),
                    None => {}
                }
                self.advance(2);
                continue;
            }
            if quote.len() == 1 && byte == b'\n' && quote[0] != b'`' && !escapes {
                // An unterminated raw literal: stop at the line end.
                return out;
            }
            out.push(byte);
            self.advance(1);
        }
        out
    }

    fn skip_char_literal(&mut self) {
        let start = self.pos;
        self.char_literal();
        // A lifetime or a lone quote advanced by one byte: nothing to mask.
        if self.pos > start + 1 {
            self.skipped.push((start, self.pos));
        }
    }

    fn char_literal(&mut self) {
        // `'x'`, `'\n'`, `'\u{1F600}'`; a Rust lifetime `'a` is not closed.
        if self.peek(1) == Some(b'\\') {
            self.advance(2);
            while self.pos < self.src.len() && self.src[self.pos] != b'\'' {
                self.advance(1);
            }
            self.advance(1);
        } else if self.peek(2) == Some(b'\'') {
            self.advance(3);
        } else {
            // A multi-byte UTF-8 char or a lifetime.
            let rest = &self.src[self.pos + 1..];
            let closing = rest.iter().take(5).position(|&b| b == b'\'');
            match closing {
                Some(offset) if rest[..offset].iter().all(|b| *b >= 0x80) && offset > 0 => {
                    self.advance(offset + 2)
                }
                _ => self.advance(1),
            }
        }
    }

    fn rust_token(&mut self) {
        let start = self.pos;
        let line = self.line;
        let byte = self.src[self.pos];
        if byte == b'"' {
            let text = self.quoted(b"\"", true);
            self.push(line, start, text, LiteralKind::Plain);
        } else if (byte == b'r' || (byte == b'b' && self.peek(1) == Some(b'r')))
            && !self.previous_is_identifier()
        {
            let prefix = if byte == b'b' { 2 } else { 1 };
            let hashes = self.src[self.pos + prefix..]
                .iter()
                .take_while(|&&b| b == b'#')
                .count();
            if self.peek(prefix + hashes) == Some(b'"') {
                self.advance(prefix + hashes);
                let mut closing = vec![b'"'];
                closing.extend(std::iter::repeat_n(b'#', hashes));
                self.advance(1);
                let mut out = Vec::new();
                while self.pos < self.src.len() && !self.starts_with(&closing) {
                    out.push(self.src[self.pos]);
                    self.advance(1);
                }
                self.advance(closing.len());
                self.push(line, start, out, LiteralKind::Plain);
            } else {
                self.advance(1);
            }
        } else if byte == b'\'' {
            self.skip_char_literal();
        } else {
            self.advance(1);
        }
    }

    fn python_token(&mut self) {
        let start = self.pos;
        let line = self.line;
        let prefix_len = self.src[self.pos..]
            .iter()
            .take(3)
            .take_while(|b| matches!(b, b'f' | b'F' | b'r' | b'R' | b'b' | b'B' | b'u' | b'U'))
            .count();
        let quote_at = self.peek(prefix_len);
        if !matches!(quote_at, Some(b'"' | b'\''))
            || (prefix_len > 0 && self.previous_is_identifier())
        {
            self.advance(prefix_len.max(1));
            return;
        }
        let prefix = &self.src[self.pos..self.pos + prefix_len];
        let fstring = prefix.iter().any(|b| *b == b'f' || *b == b'F');
        let raw = prefix.iter().any(|b| *b == b'r' || *b == b'R');
        self.advance(prefix_len);
        let quote_byte = quote_at.unwrap_or(b'"');
        let triple = [quote_byte; 3];
        let quote: &[u8] = if self.starts_with(&triple) {
            &triple
        } else {
            std::slice::from_ref(&quote_byte)
        };
        let quote = quote.to_vec();
        let text = self.quoted(&quote, !raw);
        let kind = if fstring {
            LiteralKind::FString
        } else {
            LiteralKind::Plain
        };
        self.push(line, start, text, kind);
    }

    fn go_token(&mut self) {
        let start = self.pos;
        let line = self.line;
        match self.src[self.pos] {
            b'"' => {
                let text = self.quoted(b"\"", true);
                self.push(line, start, text, LiteralKind::Plain);
            }
            b'`' => {
                let text = self.quoted(b"`", false);
                self.push(line, start, text, LiteralKind::Plain);
            }
            b'\'' => self.skip_char_literal(),
            _ => self.advance(1),
        }
    }

    fn js_token(&mut self) {
        let start = self.pos;
        let line = self.line;
        match self.src[self.pos] {
            quote @ (b'"' | b'\'') => {
                let text = self.quoted(&[quote], true);
                self.push(line, start, text, LiteralKind::Plain);
            }
            b'`' => {
                let text = self.template_literal();
                self.push(line, start, text, LiteralKind::TemplateLiteral);
            }
            _ => self.advance(1),
        }
    }

    /// A JS template literal; `${…}` expressions are kept verbatim (with
    /// nested braces) so the placeholder parser sees them.
    fn template_literal(&mut self) -> Vec<u8> {
        self.advance(1);
        let mut out = Vec::new();
        while self.pos < self.src.len() {
            let byte = self.src[self.pos];
            if byte == b'`' {
                self.advance(1);
                return out;
            }
            if byte == b'\\' {
                if let Some(next) = self.peek(1) {
                    out.push(if next == b'n' { b'\n' } else { next });
                }
                self.advance(2);
                continue;
            }
            if self.starts_with(b"${") {
                let mut depth = 0usize;
                while self.pos < self.src.len() {
                    let inner = self.src[self.pos];
                    out.push(inner);
                    self.advance(1);
                    if inner == b'{' {
                        depth += 1;
                    } else if inner == b'}' {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                }
                continue;
            }
            out.push(byte);
            self.advance(1);
        }
        out
    }

    fn java_token(&mut self) {
        let start = self.pos;
        let line = self.line;
        match self.src[self.pos] {
            b'"' => {
                let quote: &[u8] = if self.starts_with(b"\"\"\"") {
                    b"\"\"\""
                } else {
                    b"\""
                };
                let text = self.quoted(quote, true);
                self.push(line, start, text, LiteralKind::Plain);
            }
            b'\'' => self.skip_char_literal(),
            _ => self.advance(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(language: Language, source: &str) -> Vec<(u32, String)> {
        literals(language, source)
            .into_iter()
            .map(|literal| (literal.line, literal.text))
            .collect()
    }

    #[test]
    fn rust_skips_comments_and_char_literals_and_reads_raw_strings() {
        let source = "// \"not this\"\nfn f<'a>(x: &'a str) {\n    let q = '\"';\n    info!(\"user {} logged in\", x);\n    let r = r#\"raw \"quoted\" {}\"#;\n}\n";
        assert_eq!(
            texts(Language::Rust, source),
            vec![
                (4, "user {} logged in".to_string()),
                (5, "raw \"quoted\" {}".to_string())
            ]
        );
    }

    #[test]
    fn python_reads_prefixed_and_triple_quoted_strings() {
        let found = literals(
            Language::Python,
            "# 'comment'\nlog.info(f\"saved {n} rows\")\nx = '''a\nb'''\n",
        );
        assert_eq!(found[0].text, "saved {n} rows");
        assert_eq!(found[0].kind, LiteralKind::FString);
        assert_eq!(found[1].text, "a\nb");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn javascript_template_literal_keeps_nested_expressions() {
        let found = literals(
            Language::JavaScript,
            "console.log(`order ${ids.map(i => `${i}`).join()} shipped`);",
        );
        assert_eq!(found[0].kind, LiteralKind::TemplateLiteral);
        assert!(found[0].text.ends_with("} shipped"), "{found:?}");
    }

    #[test]
    fn go_reads_raw_and_interpreted_strings_and_skips_runes() {
        let found = texts(
            Language::Go,
            "r := '\"'\nlog.Printf(\"took %dms\", n)\ns := `raw %v`\n",
        );
        assert_eq!(
            found,
            vec![(2, "took %dms".to_string()), (3, "raw %v".to_string())]
        );
    }

    #[test]
    fn java_reads_strings_and_skips_block_comments() {
        let found = texts(
            Language::Java,
            "/* \"no\" */\nlog.info(\"cart {} has {} items\", id, n);\nchar c = '\"';\n",
        );
        assert_eq!(found, vec![(2, "cart {} has {} items".to_string())]);
    }
}
