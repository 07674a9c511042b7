//! The template index: every template of a tree plus an inverted index from
//! the tokens of their fixed fragments to template ids. A lookup scores only
//! the templates that share the rarest tokens with the line.

use crate::WhyError;
use crate::blame::blame_line;
use crate::extract::templates;
use crate::log_line;
use crate::score::score;
use crate::template::Template;
use crate::walk::source_files;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// How many matches `why` shows unless told otherwise.
pub const DEFAULT_LIMIT: usize = 5;
/// How many candidates (by shared-token weight) are aligned and scored.
const CANDIDATES: usize = 64;
/// Matches scoring below this are noise.
pub const MIN_SCORE: f64 = 0.35;
/// Tokens shorter than this are not indexed.
const MIN_TOKEN_LEN: usize = 2;

#[derive(Debug, Default)]
pub struct Index {
    templates: Vec<Template>,
    postings: HashMap<String, Vec<u32>>,
}

/// One ranked answer to "which code prints this?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub file: PathBuf,
    pub line: u32,
    pub function: Option<String>,
    pub commit: Option<String>,
    pub author: Option<String>,
    /// The first release that contained the line; `None` for the working tree.
    pub release: Option<String>,
    pub score: f64,
    pub template: String,
}

impl Match {
    /// Fills `commit` and `author` from `git blame` (unchanged outside a
    /// repository or for uncommitted lines).
    pub fn with_blame(mut self) -> Match {
        if let Some(blame) = blame_line(&self.file, self.line) {
            self.commit = Some(blame.commit);
            self.author = Some(blame.author);
        }
        self
    }
}

/// Lowercased alphanumeric runs.
pub(crate) fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|token| token.len() >= MIN_TOKEN_LEN)
        .map(str::to_lowercase)
}

impl Index {
    pub fn new() -> Index {
        Index::default()
    }

    /// Indexes every source file under `root`; reported paths are `root`
    /// joined with the file's relative path.
    pub fn build(root: &Path) -> Result<Index, WhyError> {
        let mut index = Index::new();
        for (path, language) in source_files(root)? {
            // Unreadable or non-UTF-8 files are not source we can index.
            if let Ok(source) = std::fs::read_to_string(&path) {
                for template in templates(language, &path, &source) {
                    index.insert(template);
                }
            }
        }
        Ok(index)
    }

    pub fn insert(&mut self, template: Template) {
        let id = self.templates.len() as u32;
        let mut seen: Vec<String> = template.fragments.iter().flat_map(|f| tokens(f)).collect();
        seen.sort();
        seen.dedup();
        for token in seen {
            self.postings.entry(token).or_default().push(id);
        }
        self.templates.push(template);
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The best `limit` matches of a raw log line, best first (no blame).
    pub fn lookup(&self, raw_line: &str, limit: usize) -> Vec<Match> {
        let line = log_line::parse(raw_line);
        let mut line_tokens: Vec<String> = tokens(&line.message).collect();
        line_tokens.sort();
        line_tokens.dedup();
        let total = self.templates.len().max(1) as f64;
        let mut weights: HashMap<u32, f64> = HashMap::new();
        for token in &line_tokens {
            if let Some(ids) = self.postings.get(token) {
                let idf = (total / ids.len() as f64).ln() + 1.0;
                for id in ids {
                    *weights.entry(*id).or_default() += idf;
                }
            }
        }
        let mut candidates: Vec<(u32, f64)> = weights.into_iter().collect();
        candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        candidates.truncate(CANDIDATES);
        let mut scored: Vec<(u32, f64)> = candidates
            .into_iter()
            .map(|(id, _)| (id, score(&self.templates[id as usize], &line.message)))
            .filter(|(_, score)| *score >= MIN_SCORE)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(limit)
            .map(|(id, score)| {
                let template = &self.templates[id as usize];
                Match {
                    file: template.file.clone(),
                    line: template.line,
                    function: template.function.clone(),
                    commit: None,
                    author: None,
                    release: None,
                    score: (score * 1000.0).round() / 1000.0,
                    template: template.text.clone(),
                }
            })
            .collect()
    }
}
