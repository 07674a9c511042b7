//! `daytwo migrate lint|status|up`: the app's SQL migrations. `lint`
//! classifies every statement as expand / contract / unknown for rollback
//! safety; `status` and `up` run against the env's `[migrations] database`,
//! where a relative `sqlite://PATH` is in the env's data directory
//! (`daytwo_daemon::env_database_url`, the rule the daemon applies too).

use crate::cli::SpecArg;
use crate::context::{Context, load_spec, spec_path};
use crate::exit;
use crate::output::{Cell, Style, print_json, table};
use clap::{Args, Subcommand};
use daytwo_migrate::{Dialect, MigrationState};
use miette::{Result, miette};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Classify every statement; exit 1 on an unacknowledged contract or unknown one.
    Lint(LintArgs),
    /// Applied, pending and changed migrations of an env's database.
    Status(RunArgs),
    /// Apply pending migrations to an env's database.
    Up(RunArgs),
}

impl MigrateCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::Lint(args) => args.json,
            Self::Status(args) | Self::Up(args) => args.json,
        }
    }
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The migrations directory (default: the spec's `[migrations] dir`).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// SQL dialect (default: from the env's database URL, else postgres).
    #[arg(long, value_name = "postgres|sqlite")]
    pub dialect: Option<String>,
    /// The env whose `[migrations]` apply (default: dev).
    #[arg(long, default_value = daytwo_spec::DEFAULT_ENV)]
    pub env: String,
    #[command(flatten)]
    pub spec: SpecArg,
    /// Print `{findings: [{file, line, statement, class, rule, message, …}]}`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The env whose database is migrated (default: dev).
    #[arg(long, default_value = daytwo_spec::DEFAULT_ENV)]
    pub env: String,
    #[command(flatten)]
    pub spec: SpecArg,
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, command: MigrateCommand) -> Result<u8> {
    match command {
        MigrateCommand::Lint(args) => lint(args),
        MigrateCommand::Status(args) => status(context, args),
        MigrateCommand::Up(args) => up(context, args),
    }
}

fn lint(args: LintArgs) -> Result<u8> {
    // With --dir, no spec is needed (and none may exist).
    let configured = if args.dir.is_none() || args.dialect.is_none() {
        spec_path(&args.spec)
            .ok()
            .and_then(|path| load_spec(&path).ok())
            .and_then(|spec| spec.migrations_for(&args.env).cloned())
    } else {
        None
    };
    let dir = match (&args.dir, &configured) {
        (Some(dir), _) => dir.clone(),
        (None, Some(migrations)) => migrations.dir.clone(),
        (None, None) => {
            return Err(miette!(
                help = "pass --dir DIR, or add `[migrations] dir = \"migrations\"` to daytwo.toml",
                "no migrations directory"
            ));
        }
    };
    let dialect = match &args.dialect {
        Some(dialect) => dialect
            .parse::<Dialect>()
            .map_err(|error| miette!(help = "use postgres or sqlite", "{error}"))?,
        None => configured
            .as_ref()
            .and_then(|m| m.database.as_deref())
            .and_then(Dialect::of_url)
            .unwrap_or(Dialect::Postgres),
    };
    let report = daytwo_migrate::lint_dir(&dir, dialect).map_err(|error| miette!("{error}"))?;
    if args.json {
        print_json(&report);
    } else {
        // The report's summary line has no newline of its own.
        anstream::println!("{}", report.to_string().trim_end());
    }
    Ok(if report.passes() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// The env's migrations directory and database URL from the spec, the URL
/// resolved as the daemon resolves it (a relative `sqlite://PATH` is in the
/// env's data directory `$DAYTWO_HOME/data/<env>/`).
fn target(context: &Context, args: &RunArgs) -> Result<(PathBuf, String)> {
    let spec = load_spec(&spec_path(&args.spec)?)?;
    let migrations = spec.migrations_for(&args.env).ok_or_else(|| {
        miette!(
            help = "add a `[migrations]` section with `dir` and `database`",
            "the spec has no migrations"
        )
    })?;
    let database = migrations.database.clone().ok_or_else(|| {
        let help = format!(
            "set `[migrations] database` (e.g. \"${{DATABASE_URL}}\") or `[env.{}.migrations] database`",
            args.env
        );
        miette!(help = help, "env `{}` has no migrations database", args.env)
    })?;
    Ok((
        migrations.dir.clone(),
        daytwo_daemon::env_database_url(&context.home, &args.env, &database),
    ))
}

/// The SQLite file of `database`, if it is one.
fn sqlite_file(database: &str) -> Option<PathBuf> {
    match daytwo_migrate::DatabaseUrl::parse(database) {
        Ok(daytwo_migrate::DatabaseUrl::Sqlite(path)) => Some(path),
        _ => None,
    }
}

fn status(context: &Context, args: RunArgs) -> Result<u8> {
    let (dir, database) = target(context, &args)?;
    // A SQLite file that does not exist yet has everything pending; opening
    // it would create it (and the env's data directory), so read the
    // directory against an empty in-memory database instead.
    let read_from = match sqlite_file(&database) {
        Some(path) if !path.exists() => "sqlite::memory:".to_string(),
        _ => database.clone(),
    };
    let migrations =
        daytwo_migrate::status(&read_from, &dir).map_err(|error| miette!("{error}"))?;
    if args.json {
        print_json(&migrations);
        return Ok(exit::SUCCESS);
    }
    eprintln!(
        "env {}: {}",
        args.env,
        daytwo_migrate::redact_url(&database)
    );
    let rows = migrations
        .iter()
        .map(|migration| {
            let (state, style) = match migration.state {
                MigrationState::Applied => ("applied", Style::Good),
                MigrationState::Pending => ("pending", Style::Warn),
                MigrationState::Changed => ("changed", Style::Bad),
                MigrationState::Missing => ("missing file", Style::Dim),
            };
            vec![
                Cell::new(format!("{:04}", migration.version)),
                Cell::new(migration.name.clone()),
                Cell::styled(state, style),
                Cell::new(
                    migration
                        .applied
                        .as_ref()
                        .map_or("-".to_string(), |row| row.applied_at.clone()),
                ),
            ]
        })
        .collect();
    anstream::print!("{}", table(&["VERSION", "NAME", "STATE", "APPLIED"], rows));
    Ok(exit::SUCCESS)
}

fn up(context: &Context, args: RunArgs) -> Result<u8> {
    let (dir, database) = target(context, &args)?;
    if sqlite_file(&database).is_some() {
        daytwo_daemon::create_env_data_dir(&context.home, &args.env)
            .map_err(|error| miette!("{error}"))?;
    }
    let applied = daytwo_migrate::up(&database, &dir, None).map_err(|error| miette!("{error}"))?;
    if args.json {
        print_json(&applied);
    } else if applied.is_empty() {
        anstream::println!("nothing to apply: the database is up to date");
    } else {
        for migration in &applied {
            let note = migration
                .note
                .as_deref()
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            anstream::println!(
                "applied {} in {} ms{note}",
                migration.file,
                migration.duration_ms
            );
        }
    }
    Ok(exit::SUCCESS)
}
