//! `daytwo flags`: list the flags each env serves, flip one at run time
//! (`set`), show who changed what (`history`), and export the spec's flags
//! as flagd's flag definitions (`export`).

use crate::cli::SpecArg;
use crate::context::{Context, api_error, load_spec, os_user, spec_path};
use crate::exit;
use crate::output::{Cell, Style, age, print_json, table};
use clap::{Args, Subcommand, ValueEnum};
use daytwo_api::{FlagInfo, SetFlagRequest};
use daytwo_spec::FlagType;
use miette::{Result, miette};
use serde_json::Value;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct FlagsArgs {
    #[command(subcommand)]
    pub command: Option<FlagsCommand>,
    /// Only this env (default: every env that is up).
    #[arg(long)]
    pub env: Option<String>,
    /// Print `[{env, name, type, description, owner, expires, value, default, enabled, last_change}]`.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum FlagsCommand {
    /// Set a flag's value in an env at run time; exits 0 once it is served.
    Set(FlagsSetArgs),
    /// Run-time flag changes: who, when, why, old → new.
    History(FlagsHistoryArgs),
    /// Write the spec's flags for an env in another tool's format.
    Export(FlagsExportArgs),
}

#[derive(Debug, Args)]
pub struct FlagsSetArgs {
    pub name: String,
    /// `true`/`false`, a number, JSON for an object flag, else the text itself.
    pub value: String,
    #[arg(long)]
    pub env: String,
    /// Why (recorded in the history).
    #[arg(long)]
    pub reason: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FlagsHistoryArgs {
    /// Only this flag.
    pub name: Option<String>,
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// flagd's flag-definition JSON (https://flagd.dev/schema/v0/flags.json).
    Flagd,
}

#[derive(Debug, Args)]
pub struct FlagsExportArgs {
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// The env whose values to export (default: dev).
    #[arg(long, default_value = daytwo_spec::DEFAULT_ENV)]
    pub env: String,
    #[command(flatten)]
    pub spec: SpecArg,
}

impl FlagsArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            None => self.json,
            Some(FlagsCommand::Set(args)) => args.json,
            Some(FlagsCommand::History(args)) => args.json,
            Some(FlagsCommand::Export(_)) => false,
        }
    }
}

pub async fn run(context: &Context, args: FlagsArgs) -> Result<u8> {
    match args.command {
        None => list(context, args.env.as_deref(), args.json).await,
        Some(FlagsCommand::Set(args)) => set(context, args).await,
        Some(FlagsCommand::History(args)) => history(context, args).await,
        Some(FlagsCommand::Export(args)) => export(args),
    }
}

async fn list(context: &Context, env: Option<&str>, json: bool) -> Result<u8> {
    let client = context.daemon().await?;
    let flags = client.flags(env).await.map_err(api_error)?;
    if json {
        print_json(&flags);
        return Ok(exit::SUCCESS);
    }
    if flags.is_empty() {
        anstream::println!("no flags served (declare [flags.NAME] and `daytwo up`)");
        return Ok(exit::SUCCESS);
    }
    let rows = flags
        .iter()
        .map(|flag| {
            let value = if flag.enabled {
                Cell::new(value_text(&flag.value))
            } else {
                Cell::styled(format!("off ({})", value_text(&flag.default)), Style::Warn)
            };
            vec![
                Cell::new(flag.env.clone()),
                Cell::new(flag.name.clone()),
                Cell::new(flag.kind.clone()),
                value,
                Cell::new(flag.owner.clone().unwrap_or_else(|| "-".into())),
                Cell::styled(
                    flag.last_change.as_ref().map_or("-".to_string(), |change| {
                        format!(
                            "{} ago by {}: {}",
                            age(&change.at),
                            change.user,
                            change.reason
                        )
                    }),
                    Style::Dim,
                ),
                Cell::new(flag.description.clone()),
            ]
        })
        .collect();
    anstream::print!(
        "{}",
        table(
            &[
                "ENV",
                "FLAG",
                "TYPE",
                "VALUE",
                "OWNER",
                "LAST CHANGE",
                "DESCRIPTION"
            ],
            rows
        )
    );
    Ok(exit::SUCCESS)
}

async fn set(context: &Context, args: FlagsSetArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let current = client
        .flags(Some(&args.env))
        .await
        .map_err(api_error)?
        .into_iter()
        .find(|flag| flag.name == args.name)
        .ok_or_else(|| {
            miette!(
                help = "`daytwo flags --env ENV` lists the env's flags",
                "env `{}` serves no flag `{}`",
                args.env,
                args.name
            )
        })?;
    let value = parse_value(&current, &args.value)?;
    let request = SetFlagRequest {
        value,
        reason: args.reason,
        user: os_user(),
    };
    let served = client
        .set_flag(&args.env, &args.name, &request)
        .await
        .map_err(api_error)?;
    if args.json {
        print_json(&served);
    } else {
        anstream::println!(
            "flag {} in env {}: {} → {} (served now)",
            served.name,
            served.env,
            value_text(&current.value),
            value_text(&served.value)
        );
    }
    Ok(exit::SUCCESS)
}

async fn history(context: &Context, args: FlagsHistoryArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let changes = client
        .flag_history(args.env.as_deref(), args.name.as_deref())
        .await
        .map_err(api_error)?;
    if args.json {
        print_json(&changes);
        return Ok(exit::SUCCESS);
    }
    if changes.is_empty() {
        anstream::println!("no flag changes yet");
        return Ok(exit::SUCCESS);
    }
    let rows = changes
        .iter()
        .map(|change| {
            vec![
                Cell::styled(change.at.clone(), Style::Dim),
                Cell::new(change.env.clone()),
                Cell::new(change.name.clone()),
                Cell::new(format!(
                    "{} → {}",
                    value_text(&change.old),
                    value_text(&change.new)
                )),
                Cell::new(change.user.clone()),
                Cell::new(change.reason.clone()),
            ]
        })
        .collect();
    anstream::print!(
        "{}",
        table(&["AT", "ENV", "FLAG", "CHANGE", "USER", "REASON"], rows)
    );
    Ok(exit::SUCCESS)
}

fn export(args: FlagsExportArgs) -> Result<u8> {
    let path = spec_path(&args.spec)?;
    let spec = load_spec(&path)?;
    let env = spec.env(&args.env).map_err(miette::Report::new)?;
    match args.format {
        ExportFormat::Flagd => print_json(&daytwo_flags::to_flagd(env.flags.values())),
    }
    Ok(exit::SUCCESS)
}

/// The command-line text as a value of the flag's type.
fn parse_value(flag: &FlagInfo, text: &str) -> Result<Value> {
    let kind = FlagType::parse(&flag.kind);
    let parsed = match kind {
        Some(FlagType::Boolean) => match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
        Some(FlagType::Integer) => text.trim().parse::<i64>().ok().map(Value::from),
        Some(FlagType::Float) => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some(FlagType::Object) => serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object),
        Some(FlagType::String) | None => Some(Value::String(text.to_string())),
    };
    parsed.ok_or_else(|| {
        let example = kind.map_or("a value", FlagType::example);
        miette!(
            help = format!("write a {} value, e.g. {example}", flag.kind),
            "`{text}` is not a {} value for flag `{}`",
            flag.kind,
            flag.name
        )
    })
}

/// A string as is, anything else as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flag(kind: &str) -> FlagInfo {
        FlagInfo {
            env: "prod".into(),
            name: "x".into(),
            kind: kind.into(),
            description: "d".into(),
            owner: None,
            expires: None,
            value: Value::Null,
            default: Value::Null,
            enabled: true,
            targeted: false,
            last_change: None,
        }
    }

    #[test]
    fn values_are_parsed_by_the_flags_type() {
        assert_eq!(
            parse_value(&flag("boolean"), "false").unwrap(),
            json!(false)
        );
        assert_eq!(parse_value(&flag("integer"), "42").unwrap(), json!(42));
        assert_eq!(parse_value(&flag("float"), "0.5").unwrap(), json!(0.5));
        assert_eq!(parse_value(&flag("string"), "true").unwrap(), json!("true"));
        assert_eq!(
            parse_value(&flag("object"), r#"{"rpm": 6}"#).unwrap(),
            json!({"rpm": 6})
        );
        let error = parse_value(&flag("boolean"), "yes")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("flag `x`") && error.contains("boolean"),
            "{error}"
        );
        assert!(parse_value(&flag("integer"), "1.5").is_err());
        assert!(parse_value(&flag("object"), "[1]").is_err());
    }
}
