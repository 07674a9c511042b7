//! The template index: every template of a tree plus an inverted index from
//! the tokens of their fixed fragments to template ids. A lookup never scans
//! every template: the line's tokens select candidates through the postings
//! (weighted by idf), the best [`CANDIDATES`] are aligned and scored.
//!
//! Serialized ([`Index::to_bytes`]) it is compact JSON, `{"format": 1,
//! "templates": [...]}`, with paths relative to the indexed root; the
//! postings are rebuilt when it is read back.

use crate::WhyError;
use crate::blame::{blame_lines, in_work_tree};
use crate::extract::templates;
use crate::language::Language;
use crate::log_line;
use crate::score::score;
use crate::template::Template;
use crate::walk::{is_generated_source, source_files};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// How many matches `why` shows unless told otherwise.
pub const DEFAULT_LIMIT: usize = 5;
/// How many candidates (by estimated fit) are aligned and scored.
const CANDIDATES: usize = 64;
/// Matches scoring below this are noise.
pub const MIN_SCORE: f64 = 0.35;
/// Tokens shorter than this are not indexed.
const MIN_TOKEN_LEN: usize = 2;
/// At most this many distinct tokens of a line are looked up (the rarest).
const MAX_LINE_TOKENS: usize = 48;
/// The serialized index's format.
pub const INDEX_FORMAT: u32 = 1;

/// How to build an index.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// The spec's declared flag names: string literals equal to one count as
    /// flag references.
    pub flags: Vec<String>,
    /// Record the commit and author of every template's line (`git blame`,
    /// one process per file); for indexes that are stored.
    pub blame: bool,
    /// Worker threads for extraction and blame; 0 means one per core.
    pub threads: usize,
}

#[derive(Debug, Default)]
pub struct Index {
    /// Where the indexed tree is on this machine; matches report paths
    /// joined to it. `None` for a stored index (paths stay relative).
    root: Option<PathBuf>,
    templates: Vec<Template>,
    postings: HashMap<String, Vec<u32>>,
    /// Per template: the idf sum of its distinct tokens.
    weights: Vec<f32>,
}

/// One ranked answer to "which code prints this?".
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    /// The file as reported: joined to the index's root when it has one.
    pub file: PathBuf,
    /// The file relative to the indexed root (as stored in a bundle).
    pub relative_file: PathBuf,
    pub line: u32,
    pub function: Option<String>,
    pub language: Language,
    pub commit: Option<String>,
    pub author: Option<String>,
    /// The first release that contained the line; filled in by the caller
    /// that knows the releases.
    pub release: Option<String>,
    pub score: f64,
    pub template: String,
    /// Flags the enclosing function refers to.
    pub flags: Vec<String>,
}

impl Match {
    /// Fills `commit` and `author` from `git blame` of the file on disk
    /// (unchanged outside a repository or for uncommitted lines).
    pub fn with_blame(mut self) -> Match {
        if let Some(blame) = crate::blame::blame_line(&self.file, self.line) {
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

#[derive(Serialize, Deserialize)]
struct Stored {
    format: u32,
    templates: Vec<Template>,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    templates: &'a [Template],
}

impl Index {
    /// Indexes every source file under `root` (no blame, no declared flags);
    /// reported paths are `root` joined with the file's relative path.
    pub fn build(root: &Path) -> Result<Index, WhyError> {
        Index::build_with(root, &IndexOptions::default())
    }

    /// Indexes every source file under `root`, skipping vendored and
    /// generated code (see [`crate::walk`]).
    pub fn build_with(root: &Path, options: &IndexOptions) -> Result<Index, WhyError> {
        let files = source_files(root)?;
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
        .clamp(1, files.len().max(1));
        let per_thread: Vec<Vec<(usize, Vec<Template>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|worker| {
                    let files = &files;
                    scope.spawn(move || {
                        files
                            .iter()
                            .enumerate()
                            .skip(worker)
                            .step_by(threads)
                            .map(|(number, (path, language))| {
                                (
                                    number,
                                    file_templates(root, path, *language, &options.flags),
                                )
                            })
                            .collect()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().unwrap_or_default())
                .collect()
        });
        let mut by_file: Vec<(usize, Vec<Template>)> = per_thread.into_iter().flatten().collect();
        by_file.sort_by_key(|(number, _)| *number);
        let mut templates: Vec<Template> = by_file.into_iter().flat_map(|(_, t)| t).collect();
        if options.blame && in_work_tree(root) {
            annotate_blame(root, &mut templates, threads);
        }
        Ok(Index::from_templates(Some(root.to_path_buf()), templates))
    }

    /// An index of `templates` (paths relative to `root`, when given).
    pub fn from_templates(root: Option<PathBuf>, templates: Vec<Template>) -> Index {
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        let mut template_tokens: Vec<Vec<String>> = Vec::with_capacity(templates.len());
        for (id, template) in templates.iter().enumerate() {
            let mut seen: Vec<String> = template.fragments.iter().flat_map(|f| tokens(f)).collect();
            seen.sort();
            seen.dedup();
            for token in &seen {
                postings.entry(token.clone()).or_default().push(id as u32);
            }
            template_tokens.push(seen);
        }
        let total = templates.len().max(1) as f64;
        let weights = template_tokens
            .iter()
            .map(|tokens| {
                tokens
                    .iter()
                    .map(|token| idf(total, postings[token].len()))
                    .sum::<f64>() as f32
            })
            .collect();
        Index {
            root,
            templates,
            postings,
            weights,
        }
    }

    /// The index as stored in a bundle: compact JSON with relative paths.
    /// The same templates always give the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&StoredRef {
            format: INDEX_FORMAT,
            templates: &self.templates,
        })
        .expect("templates serialize")
    }

    /// Reads an index written by [`Index::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Index, WhyError> {
        let stored: Stored = serde_json::from_slice(bytes).map_err(|error| WhyError::BadIndex {
            reason: error.to_string(),
        })?;
        if stored.format != INDEX_FORMAT {
            return Err(WhyError::BadIndex {
                reason: format!(
                    "format {} (this daytwo reads format {INDEX_FORMAT})",
                    stored.format
                ),
            });
        }
        Ok(Index::from_templates(None, stored.templates))
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    pub fn len(&self) -> usize {
        self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The best `limit` matches of a raw log line, best first. Commit and
    /// author are the stored blame, if the index was built with it.
    pub fn lookup(&self, raw_line: &str, limit: usize) -> Vec<Match> {
        let line = log_line::parse(raw_line);
        let total = self.templates.len().max(1) as f64;
        let mut line_tokens: Vec<(&Vec<u32>, f64)> = {
            let mut seen: Vec<String> = tokens(line.widest()).collect();
            seen.sort();
            seen.dedup();
            seen.iter()
                .filter_map(|token| self.postings.get(token))
                .map(|ids| (ids, idf(total, ids.len())))
                .collect()
        };
        // The rarest tokens say the most; a very long line keeps those.
        line_tokens.sort_by(|a, b| b.1.total_cmp(&a.1));
        line_tokens.truncate(MAX_LINE_TOKENS);
        let line_weight: f64 = line_tokens.iter().map(|(_, idf)| idf).sum();
        if line_weight == 0.0 {
            return Vec::new();
        }
        let mut shared = vec![0f32; self.templates.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (ids, idf) in &line_tokens {
            for &id in *ids {
                let slot = &mut shared[id as usize];
                if *slot == 0.0 {
                    touched.push(id);
                }
                *slot += *idf as f32;
            }
        }
        // Estimated fit: how much of the template's text the line has
        // (coverage), and how much of the line the template explains.
        let estimate = |id: u32| {
            let shared = f64::from(shared[id as usize]);
            let weight = f64::from(self.weights[id as usize]).max(f64::EPSILON);
            (shared / weight).min(1.0) * (0.5 + 0.5 * shared / line_weight)
        };
        let mut candidates: Vec<(u32, f64)> =
            touched.into_iter().map(|id| (id, estimate(id))).collect();
        let by_estimate = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if candidates.len() > CANDIDATES {
            candidates.select_nth_unstable_by(CANDIDATES, by_estimate);
            candidates.truncate(CANDIDATES);
        }
        let mut scored: Vec<(u32, f64, bool)> = candidates
            .into_iter()
            .map(|(id, _)| {
                let template = &self.templates[id as usize];
                let best = line
                    .messages()
                    .map(|message| score(template, message))
                    .fold(0.0, f64::max);
                (id, best, same_case(template, line.widest()))
            })
            .filter(|(_, score, _)| *score >= MIN_SCORE)
            .collect();
        // Equal scores (matching ignores case): the template whose text has
        // the line's case first, then the first indexed.
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        scored
            .into_iter()
            .take(limit)
            .map(|(id, score, _)| self.to_match(&self.templates[id as usize], score))
            .collect()
    }

    fn to_match(&self, template: &Template, score: f64) -> Match {
        Match {
            file: match &self.root {
                Some(root) => root.join(&template.file),
                None => template.file.clone(),
            },
            relative_file: template.file.clone(),
            line: template.line,
            function: template.function.clone(),
            language: template.language,
            commit: template.commit.clone(),
            author: template.author.clone(),
            release: None,
            score: (score * 1000.0).round() / 1000.0,
            template: template.text.clone(),
            flags: template.flags.clone(),
        }
    }
}

/// Every fixed fragment occurs in `text` as written (same case).
fn same_case(template: &Template, text: &str) -> bool {
    template
        .fragments
        .iter()
        .all(|fragment| text.contains(fragment.trim()))
}

fn idf(total: f64, postings: usize) -> f64 {
    (total / postings.max(1) as f64).ln() + 1.0
}

/// The templates of one file, with paths relative to `root`. Unreadable,
/// non-UTF-8 and generated files have none.
fn file_templates(root: &Path, path: &Path, language: Language, flags: &[String]) -> Vec<Template> {
    let Ok(source) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    if is_generated_source(&source) {
        return Vec::new();
    }
    let relative = path.strip_prefix(root).unwrap_or(path);
    templates(language, relative, &source, flags)
}

/// Fills every template's commit and author from `git blame`, one process
/// per file, files spread over `threads`.
fn annotate_blame(root: &Path, templates: &mut [Template], threads: usize) {
    let mut by_file: BTreeMap<PathBuf, Vec<u32>> = BTreeMap::new();
    for template in templates.iter() {
        by_file
            .entry(template.file.clone())
            .or_default()
            .push(template.line);
    }
    let files: Vec<(PathBuf, Vec<u32>)> = by_file.into_iter().collect();
    let blamed: Vec<(PathBuf, HashMap<u32, crate::blame::Blame>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|worker| {
                let files = &files;
                scope.spawn(move || {
                    files
                        .iter()
                        .skip(worker)
                        .step_by(threads)
                        .map(|(file, lines)| (file.clone(), blame_lines(root, file, lines)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap_or_default())
            .collect()
    });
    let blamed: HashMap<PathBuf, HashMap<u32, crate::blame::Blame>> = blamed.into_iter().collect();
    for template in templates {
        if let Some(blame) = blamed
            .get(&template.file)
            .and_then(|lines| lines.get(&template.line))
        {
            template.commit = Some(blame.commit.clone());
            template.author = Some(blame.author.clone());
        }
    }
}
