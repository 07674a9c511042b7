//! `daytwo why "LINE"`: which code prints this log line? Builds the template
//! index of the spec's directory on the fly, prints the best match's
//! `path:line` first, then a ranked list with function, commit and template.

use crate::cli::SpecArg;
use crate::context::spec_path;
use crate::exit;
use crate::output::print_json;
use clap::Args;
use daytwo_why::{DEFAULT_LIMIT, Index};
use miette::{Result, miette};
use serde_json::json;
use std::path::Path;

#[derive(Debug, Args)]
pub struct WhyArgs {
    /// The log line, as printed (timestamp/level prefixes and JSON lines are fine).
    pub line: String,
    #[command(flatten)]
    pub spec: SpecArg,
    /// How many ranked matches to show.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    pub limit: usize,
    /// Machine-readable output: `{ "matches": [ … ] }`.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: WhyArgs) -> Result<u8> {
    let spec = spec_path(&args.spec)?;
    let root = match spec.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => Path::new(".").to_path_buf(),
    };
    let index = Index::build(&root).map_err(|error| miette!("{error}"))?;
    let matches: Vec<_> = index
        .lookup(&args.line, args.limit.max(1))
        .into_iter()
        .map(|found| found.with_blame())
        .collect();
    if matches.is_empty() {
        return Err(miette!(
            help = "check that the line comes from this app; only string literals with placeholders or in logging calls are indexed",
            "no log-message template in {} ({} indexed) matches this line",
            root.display(),
            index.len()
        ));
    }
    if args.json {
        let rows: Vec<_> = matches
            .iter()
            .map(|found| {
                json!({
                    "file": found.file,
                    "line": found.line,
                    "function": found.function,
                    "commit": found.commit,
                    "author": found.author,
                    "release": found.release,
                    "score": found.score,
                    "template": found.template,
                })
            })
            .collect();
        print_json(&json!({ "matches": rows }));
        return Ok(exit::SUCCESS);
    }
    let best = &matches[0];
    anstream::println!("{}:{}", best.file.display(), best.line);
    for (rank, found) in matches.iter().enumerate() {
        let commit = match (&found.commit, &found.author) {
            (Some(commit), Some(author)) => format!("{} {author}", short(commit)),
            _ => "not committed".to_string(),
        };
        anstream::println!(
            "  {}. {}:{}  {}  score {:.2}  {}",
            rank + 1,
            found.file.display(),
            found.line,
            found.function.as_deref().unwrap_or("-"),
            found.score,
            commit
        );
        anstream::println!("     {:?}", found.template);
    }
    Ok(exit::SUCCESS)
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}
