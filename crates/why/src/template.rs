//! A log-message template: one string literal found in the source, with
//! what the index stores about it.

use crate::language::Language;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// The file, relative to the indexed root (`/`-separated).
    pub file: PathBuf,
    /// 1-based line of the literal's opening quote.
    pub line: u32,
    /// The innermost enclosing function or method.
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
    /// Feature flags the enclosing function refers to (see [`crate::flags`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    /// The commit that last changed the line (`git blame`, when the index
    /// was built with blame).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// That commit's author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}
