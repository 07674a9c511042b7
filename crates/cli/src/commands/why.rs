//! `daytwo why "LINE" [--release R]`: which code prints this log line?
//!
//! Without `--release`, the template index of the spec's directory is built
//! on the fly (blame per match from the working tree). With `--release`, the
//! index stored in that release's bundle is read from the store (blame as of
//! its build). Either way each match names the first release that contained
//! it, from the indexes of the app's stored releases (docs/why.md).
//!
//! The first output line is the best match's `path:line`; a ranked list
//! follows. `--json`: `{ "matches": [ { "file", "line", "function",
//! "commit", "release", "score", … } ] }`.

use crate::cli::SpecArg;
use crate::context::{Context, release_error, spec_path};
use crate::exit;
use crate::output::print_json;
use clap::Args;
use daytwo_release::Manifest;
use daytwo_release::notes;
use daytwo_release::why_index::{self, FirstRelease};
use daytwo_why::{DEFAULT_LIMIT, Index, IndexOptions, Match};
use miette::{Result, miette};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The release store inside `DAYTWO_HOME` (docs/releases.md).
const RELEASES_DIR: &str = "releases";

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The log line, as printed (timestamp/level prefixes, `daytwo logs`
    /// prefixes, JSON and logfmt lines are fine).
    pub line: String,
    #[command(flatten)]
    pub spec: SpecArg,
    /// Look the line up in this release's stored index (a version, a digest
    /// or a unique digest prefix) instead of the working tree.
    #[arg(long, value_name = "RELEASE")]
    pub release: Option<String>,
    /// How many ranked matches to show.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// Machine-readable output: `{ "matches": [ … ] }`.
    #[arg(long)]
    pub json: bool,
}

/// Where the matches came from.
struct Source {
    /// The release searched, or `None` for the working tree.
    release: Option<String>,
    /// What was indexed, for messages.
    described: String,
    templates: usize,
}

pub fn run(context: &Context, args: WhyArgs) -> Result<u8> {
    let releases_dir = context.home.join(RELEASES_DIR);
    let manifests = notes::load_manifests(&releases_dir).map_err(|error| miette!("{error}"))?;
    let limit = args.limit.max(1);
    let (matches, source) = match &args.release {
        Some(query) => in_release(&releases_dir, &manifests, query, &args.line, limit)?,
        None => in_working_tree(&releases_dir, &manifests, &args, limit)?,
    };
    if matches.is_empty() {
        return Err(miette!(
            help = "check that the line comes from this app; only string literals with placeholders, in logging calls or in message fields are indexed (docs/why.md)",
            "no log-message template in {} ({} indexed) matches this line",
            source.described,
            source.templates
        ));
    }
    if args.json {
        print_json(&json!({
            "matches": matches.iter().map(match_json).collect::<Vec<_>>(),
            "searched": {
                "release": source.release,
                "source": source.described,
                "templates": source.templates,
            },
        }));
        return Ok(exit::SUCCESS);
    }
    print_human(&matches);
    Ok(exit::SUCCESS)
}

/// `--release R`: R's stored index; first releases among those built no
/// later than R.
fn in_release(
    releases_dir: &Path,
    manifests: &[Manifest],
    query: &str,
    line: &str,
    limit: usize,
) -> Result<(Vec<Match>, Source)> {
    let release = notes::resolve(manifests, query).map_err(|error| {
        miette!(
            help = "`daytwo releases` lists the stored releases; `daytwo build` adds one",
            "{error}"
        )
    })?;
    let Some(index) = why_index::load(releases_dir, release).map_err(release_error)? else {
        return Err(miette!(
            help = "rebuild it with this daytwo (`daytwo build`), or run `daytwo why` without --release on the release's sources",
            "release {} ({}) was built without a log-template index",
            release.version,
            release.digest.short()
        ));
    };
    let mut first = FirstRelease::new(releases_dir, manifests, &release.app);
    let matches = index
        .lookup(line, limit)
        .into_iter()
        .map(|mut found| {
            found.release = first
                .of(&found.relative_file, &found.template, Some(release))
                .map(|first| first.version.clone())
                .or_else(|| Some(release.version.clone()));
            found
        })
        .collect();
    let source = Source {
        release: Some(release.version.clone()),
        described: format!("release {} of {}", release.version, release.app),
        templates: index.len(),
    };
    Ok((matches, source))
}

/// The working tree of the spec's directory, indexed now; first releases
/// among all stored releases of the spec's app.
fn in_working_tree(
    releases_dir: &Path,
    manifests: &[Manifest],
    args: &WhyArgs,
    limit: usize,
) -> Result<(Vec<Match>, Source)> {
    let spec_file = spec_path(&args.spec)?;
    let root = match spec_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The spec gives the declared flags and the app's releases; `why` still
    // works on a tree whose spec does not load.
    let spec = match daytwo_spec::load(&spec_file) {
        Ok(loaded) => Some(loaded.spec),
        Err(error) => {
            anstream::eprintln!(
                "note: {} does not load ({error}); declared flags and stored releases are not used",
                spec_file.display()
            );
            None
        }
    };
    let options = IndexOptions {
        flags: spec
            .iter()
            .flat_map(|spec| spec.flags.values().map(|flag| flag.name.clone()))
            .collect(),
        ..IndexOptions::default()
    };
    let index = Index::build_with(&root, &options).map_err(|error| {
        miette!(
            help = "pass the spec of the app whose sources to search with --spec",
            "{error}"
        )
    })?;
    let mut first = spec
        .as_ref()
        .map(|spec| FirstRelease::new(releases_dir, manifests, &spec.app));
    let matches = index
        .lookup(&args.line, limit)
        .into_iter()
        .map(|found| {
            let mut found = found.with_blame();
            found.release = first.as_mut().and_then(|first| {
                first
                    .of(&found.relative_file, &found.template, None)
                    .map(|release| release.version.clone())
            });
            found
        })
        .collect();
    let source = Source {
        release: None,
        described: root.display().to_string(),
        templates: index.len(),
    };
    Ok((matches, source))
}

fn match_json(found: &Match) -> serde_json::Value {
    json!({
        "file": found.file,
        "line": found.line,
        "function": found.function,
        "commit": found.commit,
        "author": found.author,
        "release": found.release,
        "score": found.score,
        "template": found.template,
        "flags": found.flags,
        "language": found.language,
    })
}

fn print_human(matches: &[Match]) {
    let best = &matches[0];
    anstream::println!("{}:{}", best.file.display(), best.line);
    for (rank, found) in matches.iter().enumerate() {
        let commit = match (&found.commit, &found.author) {
            (Some(commit), Some(author)) => format!("{} {author}", short(commit)),
            _ => "not committed".to_string(),
        };
        let mut facts = vec![commit];
        if let Some(release) = &found.release {
            facts.push(format!("first in {release}"));
        }
        if !found.flags.is_empty() {
            facts.push(format!("flags: {}", found.flags.join(", ")));
        }
        anstream::println!(
            "  {}. {}:{}  {}  score {:.2}  {}",
            rank + 1,
            found.file.display(),
            found.line,
            found.function.as_deref().unwrap_or("-"),
            found.score,
            facts.join("  ")
        );
        anstream::println!("     {:?}", found.template);
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}
