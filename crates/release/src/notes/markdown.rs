//! The notes as Markdown: headings, bullet lists and short tables that read
//! well in a chat or a changelog.

use super::{FlagNote, ReleaseNotes};
use std::fmt::Write;

/// Characters of a commit hash shown.
const SHORT_COMMIT: usize = 8;

fn short(commit: &str) -> &str {
    commit.get(..SHORT_COMMIT).unwrap_or(commit)
}

/// `|` would end a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

pub(super) fn render(notes: &ReleaseNotes) -> String {
    let mut out = String::new();
    let release = &notes.release;
    let digest_short = release
        .digest
        .strip_prefix("sha256:")
        .unwrap_or(&release.digest);
    let _ = writeln!(out, "# {} {}", notes.app, release.version);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "- digest: `{}`",
        digest_short.get(..12).unwrap_or(digest_short)
    );
    let _ = writeln!(out, "- created: {}", release.created);
    match &release.commit {
        Some(commit) => {
            let dirty = if release.dirty { " (dirty)" } else { "" };
            let _ = writeln!(out, "- git: `{}`{dirty}", short(commit));
        }
        None => {
            let _ = writeln!(out, "- git: unknown");
        }
    }
    match &notes.since {
        Some(since) => {
            let _ = writeln!(out, "- since: {}", since.version);
        }
        None => {
            let _ = writeln!(out, "- since: nothing (first release of {})", notes.app);
        }
    }

    let _ = writeln!(out, "\n## Commits\n");
    match &notes.commits_unknown {
        Some(reason) => {
            let _ = writeln!(out, "Commits unknown: {reason}.");
        }
        None if notes.commits.is_empty() => {
            let _ = writeln!(out, "No commits.");
        }
        None => {
            for commit in &notes.commits {
                let _ = writeln!(
                    out,
                    "- `{}` {} ({})",
                    short(&commit.hash),
                    commit.subject,
                    commit.author
                );
            }
        }
    }

    let _ = writeln!(out, "\n## Flags\n");
    if notes.flags.is_empty() {
        let _ = writeln!(out, "No flag changes.");
    }
    for flag in &notes.flags.added {
        let _ = writeln!(out, "- **added** {}", flag_line(flag));
        kill_switch(&mut out, flag);
    }
    for change in &notes.flags.changed {
        let _ = writeln!(out, "- **changed** {}", flag_line(&change.flag));
        for (field, values) in &change.changes {
            let _ = writeln!(out, "  - {field}: {} → {}", values.old, values.new);
        }
        kill_switch(&mut out, &change.flag);
    }
    for flag in &notes.flags.removed {
        let _ = writeln!(out, "- **removed** {}", flag_line(flag));
    }

    let _ = writeln!(out, "\n## Migrations\n");
    if notes.migrations.is_empty() {
        let _ = writeln!(out, "No new migrations.");
    } else {
        let _ = writeln!(out, "| version | file | class |");
        let _ = writeln!(out, "|---|---|---|");
        for migration in &notes.migrations {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                migration.version,
                cell(&migration.file),
                migration.class
            );
        }
        let _ = writeln!(out);
    }
    let target = notes
        .since
        .as_ref()
        .map_or("the previous release", |since| since.version.as_str());
    if notes.rollback_safe {
        let _ = writeln!(out, "Rollback to {target} stays possible.");
    } else {
        let files: Vec<&str> = notes
            .migrations
            .iter()
            .filter(|m| m.rollback_unsafe)
            .map(|m| m.file.as_str())
            .collect();
        let _ = writeln!(out, "**Rollback-unsafe**: {}.", files.join(", "));
    }

    let _ = writeln!(out, "\n## Spec changes\n");
    if notes.spec_changes.is_empty() {
        let _ = writeln!(out, "No effective spec changes.");
    }
    for (index, (env, changes)) in notes.spec_changes.iter().enumerate() {
        if index > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "### {env}\n");
        let _ = writeln!(out, "| key | old | new |");
        let _ = writeln!(out, "|---|---|---|");
        for change in changes {
            let value = |v: &Option<String>| v.as_deref().map_or("—".to_string(), cell);
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                cell(&change.key),
                value(&change.old),
                value(&change.new)
            );
        }
    }

    let _ = writeln!(out, "\n## Measured behaviour\n");
    if notes.measured.is_empty() {
        let _ = writeln!(
            out,
            "Not measured yet (RSS growth, CPU, p99 latency, error rate vs {target})."
        );
    }
    for (index, env) in notes.measured.iter().enumerate() {
        if index > 0 {
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "### {}\n", env.env);
        let _ = writeln!(
            out,
            "{}",
            super::measured::table(env, &release.version, target)
        );
    }
    out
}

fn flag_line(flag: &FlagNote) -> String {
    format!(
        "`{}` ({}, default `{}`): {}",
        flag.name, flag.kind, flag.default, flag.description
    )
}

fn kill_switch(out: &mut String, flag: &FlagNote) {
    if !flag.kill_switch {
        let _ = writeln!(out, "  - no kill switch ({} flag)", flag.kind);
        return;
    }
    let env = flag.on_in.first().map_or("ENV", String::as_str);
    let on = if flag.on_in.is_empty() {
        String::new()
    } else {
        format!(" (on in {})", flag.on_in.join(", "))
    };
    let _ = writeln!(
        out,
        "  - kill switch: `daytwo flags set {} false --env {env}`{on}",
        flag.name
    );
}
