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

/// For each 1-based line, the function declared most recently at or before
/// it (index 0 is unused).
pub fn enclosing_functions(language: Language, source: &str) -> Vec<Option<String>> {
    let mut current: Option<String> = None;
    let mut out = vec![None];
    for line in source.lines() {
        if let Some(name) = declared(language, line) {
            current = Some(name);
        }
        out.push(current.clone());
    }
    out
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
    (!name.is_empty() && !NOT_METHODS.contains(&name)).then_some(name)
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
    if !line.ends_with('{') || line.contains('=') || line.starts_with('.') {
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
    fn each_line_gets_the_nearest_preceding_function() {
        let functions = enclosing_functions(
            Language::Python,
            "import x\ndef a():\n    pass\ndef b():\n    log()\n",
        );
        assert_eq!(functions[1], None);
        assert_eq!(functions[3].as_deref(), Some("a"));
        assert_eq!(functions[5].as_deref(), Some("b"));
    }
}
