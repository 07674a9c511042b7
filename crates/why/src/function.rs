//! The enclosing function of a line: the nearest preceding declaration, by a
//! simple per-language pattern (`fn name`, `def name`, `func name`,
//! `function name`, `name = (…) =>`, a method signature ending in `{`).

use crate::language::Language;

const NOT_METHODS: &[&str] = &[
    "if",
    "for",
    "while",
    "switch",
    "catch",
    "return",
    "new",
    "else",
    "do",
    "try",
    "synchronized",
    "function",
    "await",
    "typeof",
    "super",
    "this",
];

/// A function (or method) and the lines of its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSpan {
    pub name: String,
    /// 1-based line of the declaration.
    pub start_line: u32,
    /// 1-based last line of the body.
    pub end_line: u32,
    /// Byte range of the declaration and body in the source.
    pub start: usize,
    pub end: usize,
}

/// Every function of a file, by declaration order, with its extent: braces
/// matched in the masked code (Rust, Go, JS/TS, Java/Kotlin), indentation
/// (Python).
pub fn function_spans(language: Language, masked: &str) -> Vec<FunctionSpan> {
    let starts = line_starts(masked);
    let lines: Vec<&str> = masked.split('\n').collect();
    let mut spans = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(name) = declared(language, line) else {
            continue;
        };
        let start = starts[index];
        let end = match language {
            Language::Python => python_body_end(&lines, &starts, index, masked.len()),
            _ => brace_body_end(language, masked, start, line),
        };
        spans.push(FunctionSpan {
            name,
            start_line: index as u32 + 1,
            end_line: line_of(&starts, end.saturating_sub(1).max(start)),
            start,
            end,
        });
    }
    spans
}

/// For each 1-based line (index 0 unused), the innermost function whose span
/// holds it: the one declared last among those that have not ended.
pub fn innermost_per_line(spans: &[FunctionSpan], line_count: usize) -> Vec<Option<usize>> {
    let mut out = vec![None; line_count + 1];
    // Spans are in declaration order, so a later span that holds a line is
    // nested in (or follows) an earlier one: it wins.
    for (id, span) in spans.iter().enumerate() {
        let last = (span.end_line as usize).min(line_count);
        for slot in out.iter_mut().take(last + 1).skip(span.start_line as usize) {
            *slot = Some(id);
        }
    }
    out
}

/// For each 1-based line, the innermost enclosing function's name (index 0
/// is unused).
#[cfg(test)]
pub fn enclosing_functions(language: Language, source: &str) -> Vec<Option<String>> {
    let masked = crate::literal::lex(language, source).masked;
    let spans = function_spans(language, &masked);
    let line_count = source.lines().count();
    innermost_per_line(&spans, line_count)
        .into_iter()
        .map(|id| id.map(|id| spans[id].name.clone()))
        .collect()
}

/// Byte offset of each line's first byte.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(at, _)| at + 1))
        .collect()
}

/// The 1-based line holding byte `offset`.
pub(crate) fn line_of(starts: &[usize], offset: usize) -> u32 {
    starts.partition_point(|&start| start <= offset) as u32
}

/// How many lines a signature may take before its body opens.
const MAX_SIGNATURE_LINES: usize = 12;

/// The end (exclusive byte offset) of the function declared on the line at
/// `line_start`: the `}` matching the first `{` outside parentheses, or the
/// `;` that ends a body-less declaration, or the line's end.
fn brace_body_end(language: Language, masked: &str, line_start: usize, line: &str) -> usize {
    let bytes = masked.as_bytes();
    let line_end = line_start + line.len();
    // An arrow function's body is a block only when `{` follows `=>`.
    if language == Language::JavaScript
        && let Some(arrow) = line.find("=>")
        && !line[arrow + 2..].trim_start().starts_with('{')
        && !line.contains("function")
    {
        return line_end;
    }
    let mut depth = 0i32;
    let mut newlines = 0;
    let mut pos = line_start;
    let open = loop {
        let Some(&byte) = bytes.get(pos) else {
            return line_end;
        };
        match byte {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'{' if depth <= 0 => break pos,
            b';' if depth <= 0 => return pos + 1,
            b'\n' => {
                newlines += 1;
                if newlines > MAX_SIGNATURE_LINES {
                    return line_end;
                }
            }
            _ => {}
        }
        pos += 1;
    };
    let mut braces = 0usize;
    for (offset, &byte) in bytes[open..].iter().enumerate() {
        match byte {
            b'{' => braces += 1,
            b'}' => {
                braces -= 1;
                if braces == 0 {
                    return open + offset + 1;
                }
            }
            _ => {}
        }
    }
    bytes.len()
}

/// The end of a Python function declared on line `index`: the first later
/// line outside brackets that has code and is indented no deeper than the
/// `def`.
fn python_body_end(lines: &[&str], starts: &[usize], index: usize, len: usize) -> usize {
    let indent = indentation(lines[index]);
    let mut depth = bracket_delta(lines[index]);
    let mut last_code = index;
    for (next, line) in lines.iter().enumerate().skip(index + 1) {
        let has_code = !line.trim().is_empty();
        if depth <= 0 && has_code && indentation(line) <= indent {
            break;
        }
        if has_code {
            last_code = next;
        }
        depth += bracket_delta(line);
    }
    let after = last_code + 1;
    if after < starts.len() {
        starts[after] - 1
    } else {
        len
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn bracket_delta(line: &str) -> i32 {
    line.bytes()
        .map(|byte| match byte {
            b'(' | b'[' | b'{' => 1,
            b')' | b']' | b'}' => -1,
            _ => 0,
        })
        .sum()
}

fn identifier_after<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let mut search = 0;
    while let Some(found) = line[search..].find(keyword) {
        let at = search + found;
        let before_ok = at == 0
            || !line[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let rest = &line[at + keyword.len()..];
        if before_ok && rest.starts_with(|c: char| c.is_whitespace()) {
            let name = leading_identifier(rest.trim_start());
            if !name.is_empty() {
                return Some(name);
            }
        }
        search = at + keyword.len();
    }
    None
}

fn leading_identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The identifier directly before the first `(` of the line.
fn name_before_paren(line: &str) -> Option<&str> {
    let paren = line.find('(')?;
    let before = line[..paren].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .map_or(0, |index| index + 1);
    let name = &before[start..];
    // `obj.method(…) {` and `new Type(…) {` are calls, not declarations.
    let prefix = before[..start].trim_end();
    let call = prefix.ends_with('.') || prefix.ends_with("::") || prefix.ends_with("new");
    (!name.is_empty() && !call && !NOT_METHODS.contains(&name)).then_some(name)
}

fn declared(language: Language, line: &str) -> Option<String> {
    let trimmed = line.trim();
    let name = match language {
        Language::Rust => identifier_after(trimmed, "fn"),
        Language::Python => identifier_after(trimmed, "def"),
        Language::Go => {
            let rest = trimmed.strip_prefix("func ")?;
            // `func (r *Recv) Name(` or `func Name(`.
            let rest = if rest.starts_with('(') {
                &rest[rest.find(')')? + 1..]
            } else {
                rest
            };
            Some(leading_identifier(rest.trim_start())).filter(|name| !name.is_empty())
        }
        Language::JavaScript => identifier_after(trimmed, "function")
            .or_else(|| arrow_function(trimmed))
            .or_else(|| method_signature(trimmed)),
        Language::Java => identifier_after(trimmed, "fun").or_else(|| method_signature(trimmed)),
    };
    name.map(str::to_string)
}

/// `const name = (a, b) => {` or `name = async x => {`.
fn arrow_function(line: &str) -> Option<&str> {
    if !line.contains("=>") {
        return None;
    }
    let equals = line.find('=')?;
    let before = line[..equals].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .map_or(0, |index| index + 1);
    Some(&before[start..]).filter(|name| !name.is_empty())
}

/// `public void charge(Order order) {`, `async load(id) {`: a line with a
/// parameter list that opens a block and is not a call statement.
fn method_signature(line: &str) -> Option<&str> {
    if !line.ends_with('{')
        || line.contains('=')
        || line.starts_with('.')
        || line.contains("function(")
        || line.contains("function (")
        || line.contains("->")
    {
        return None;
    }
    name_before_paren(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(language: Language, line: &str) -> Option<String> {
        declared(language, line)
    }

    #[test]
    fn declarations_per_language() {
        assert_eq!(
            name(Language::Rust, "    pub async fn record(&self) {").as_deref(),
            Some("record")
        );
        assert_eq!(
            name(Language::Python, "    async def handle(self, req):").as_deref(),
            Some("handle")
        );
        assert_eq!(
            name(
                Language::Go,
                "func (s *Server) Serve(l net.Listener) error {"
            )
            .as_deref(),
            Some("Serve")
        );
        assert_eq!(name(Language::Go, "func main() {").as_deref(), Some("main"));
        assert_eq!(
            name(Language::JavaScript, "export async function ship(order) {").as_deref(),
            Some("ship")
        );
        assert_eq!(
            name(Language::JavaScript, "const retry = async (n) => {").as_deref(),
            Some("retry")
        );
        assert_eq!(
            name(Language::JavaScript, "  async load(id) {").as_deref(),
            Some("load")
        );
        assert_eq!(
            name(
                Language::Java,
                "    public void charge(Order order) throws Exception {"
            )
            .as_deref(),
            Some("charge")
        );
        assert_eq!(name(Language::Java, "        if (order == null) {"), None);
        assert_eq!(name(Language::Rust, "let f = fnord;"), None);
    }

    #[test]
    fn calls_that_open_blocks_are_not_declarations() {
        assert_eq!(
            name(Language::JavaScript, "  promise.then(function (r) {"),
            None
        );
        assert_eq!(
            name(Language::JavaScript, "describe(' ', function () {"),
            None
        );
        assert_eq!(name(Language::Java, "    executor.submit(() -> {"), None);
        assert_eq!(name(Language::Java, "    new Thread(task) {"), None);
    }

    #[test]
    fn python_bodies_end_at_the_dedent_and_top_level_code_has_no_function() {
        let functions = enclosing_functions(
            Language::Python,
            "import x\ndef a(\n    n,\n):\n    pass\n\n    log()\nprint('top')\ndef b():\n    log()\n",
        );
        assert_eq!(functions[1], None);
        assert_eq!(functions[3].as_deref(), Some("a"), "inside the signature");
        assert_eq!(functions[7].as_deref(), Some("a"), "after a blank line");
        assert_eq!(functions[8], None, "top-level code after the function");
        assert_eq!(functions[10].as_deref(), Some("b"));
    }

    #[test]
    fn brace_bodies_are_matched_ignoring_braces_in_strings_and_comments() {
        let source = "fn outer() {\n    let s = \"}\"; // }\n    fn inner() { x(); }\n    info!(\"after inner\");\n}\nfn decl(&self);\nstatic X: u8 = 1;\n";
        let functions = enclosing_functions(Language::Rust, source);
        assert_eq!(functions[2].as_deref(), Some("outer"));
        assert_eq!(functions[3].as_deref(), Some("inner"));
        assert_eq!(functions[4].as_deref(), Some("outer"), "inner has ended");
        assert_eq!(functions[6].as_deref(), Some("decl"));
        assert_eq!(functions[7], None, "after a body-less declaration");
    }

    #[test]
    fn arrow_functions_with_expression_bodies_span_their_line() {
        let source = "const twice = (x) => x * 2\nconsole.log(`top ${x}`)\nconst load = async (id) => {\n  log.info('loading')\n}\n";
        let functions = enclosing_functions(Language::JavaScript, source);
        assert_eq!(functions[1].as_deref(), Some("twice"));
        assert_eq!(functions[2], None);
        assert_eq!(functions[4].as_deref(), Some("load"));
    }
}
