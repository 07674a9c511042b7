//! A log-message template: one string literal found in the source.

use crate::language::Language;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    pub file: PathBuf,
    /// 1-based line of the literal's opening quote.
    pub line: u32,
    pub function: Option<String>,
    pub language: Language,
    /// The literal's text (escapes resolved).
    pub text: String,
    /// The fixed text between placeholders, in order; empty fragments are
    /// dropped.
    pub fragments: Vec<String>,
    /// The template starts with a placeholder (anything may precede the
    /// first fragment).
    pub leading_placeholder: bool,
    /// The template ends with a placeholder.
    pub trailing_placeholder: bool,
}
