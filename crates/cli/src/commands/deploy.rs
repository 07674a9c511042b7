//! `daytwo deploy`, `promote` and `rollback`: ask the daemon, then render its
//! progress stream as named steps with spinners and timings. Exits 0 only
//! when the new release serves all traffic of the env.

use crate::cli::{DeployArgs, PromoteArgs, RollbackArgs};
use crate::context::{Context, api_error, os_user};
use crate::exit;
use crate::output::{Style, paint};
use crate::progress::Progress;
use daytwo_api::{
    DeployProgress, DeployRecord, DeployRequest, DeployStream, PromoteRequest, RollbackRequest,
};
use miette::{Result, miette};

pub async fn deploy(context: &Context, args: DeployArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let request = DeployRequest {
        release: args.release,
        strategy: args.strategy.map(|s| s.as_str().to_string()),
        user: os_user(),
        allow_contract: args.allow_contract,
    };
    let stream = client
        .deploy(&args.env, &request)
        .await
        .map_err(api_error)?;
    follow(stream, args.json).await
}

pub async fn promote(context: &Context, args: PromoteArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let request = PromoteRequest {
        from: args.from,
        strategy: args.strategy.map(|s| s.as_str().to_string()),
        user: os_user(),
    };
    let stream = client
        .promote(&args.to, &request)
        .await
        .map_err(api_error)?;
    follow(stream, args.json).await
}

pub async fn rollback(context: &Context, args: RollbackArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let request = RollbackRequest {
        to: args.to,
        user: os_user(),
        force: args.force,
    };
    let stream = client
        .rollback(&args.env, &request)
        .await
        .map_err(api_error)?;
    follow(stream, args.json).await
}

/// Renders the stream until its result; the exit code follows the outcome.
async fn follow(mut stream: DeployStream, json: bool) -> Result<u8> {
    let mut step: Option<Progress> = None;
    while let Some(progress) = stream.next().await.map_err(api_error)? {
        if json {
            anstream::println!(
                "{}",
                serde_json::to_string(&progress).expect("progress serializes")
            );
        }
        match progress {
            DeployProgress::StepStarted {
                step: name,
                message,
            } => {
                if let Some(previous) = step.take() {
                    previous.abandon();
                }
                step = Some(Progress::step(label(&name, &message), json));
            }
            DeployProgress::StepFinished {
                step: name,
                message,
                ok,
                elapsed_ms,
            } => {
                let message = label(&name, &message);
                match step.take() {
                    Some(current) if ok => current.finish(message),
                    Some(current) => {
                        current.abandon();
                        if !json {
                            eprintln!("{} {message}", paint("✗", Style::Bad));
                        }
                    }
                    // An action inside a step: one line of its own.
                    None if !json => {
                        let mark = if ok {
                            paint("✓", Style::Good)
                        } else {
                            paint("✗", Style::Bad)
                        };
                        eprintln!("{mark} {message} ({:.1}s)", elapsed_ms as f64 / 1000.0);
                    }
                    None => {}
                }
            }
            DeployProgress::Result { record } => {
                if let Some(current) = step.take() {
                    current.abandon();
                }
                if !json {
                    summarize(&record);
                }
                return Ok(if record.outcome == "succeeded" {
                    exit::SUCCESS
                } else {
                    exit::FAILURE
                });
            }
        }
    }
    Err(miette!(
        help = "`daytwo history` shows how it ended; `daytwo status` whether the daemon runs",
        "the daemon closed the deploy stream before the result"
    ))
}

/// What a step shows: its message, or its name when it has none.
fn label(step: &str, message: &str) -> String {
    if message.is_empty() {
        step.to_string()
    } else {
        message.to_string()
    }
}

fn summarize(record: &DeployRecord) {
    let took = record
        .duration_ms
        .map(|ms| format!(" in {:.1}s", ms as f64 / 1000.0))
        .unwrap_or_default();
    let from = record
        .from
        .as_ref()
        .map(|from| format!("{} → ", from.version))
        .unwrap_or_default();
    if record.outcome == "succeeded" {
        anstream::println!(
            "{} {} {}: {from}{}{took}",
            paint("✓", Style::Good),
            record.kind,
            record.env,
            record.to.version
        );
    } else {
        anstream::println!(
            "{} {} {} {}: {from}{}{took}: {}",
            paint("✗", Style::Bad),
            record.kind,
            record.env,
            record.outcome,
            record.to.version,
            record.message.clone().unwrap_or_default()
        );
        if !record.logs.is_empty() {
            anstream::println!("last log lines of the failing replica:");
            for line in &record.logs {
                anstream::println!("  {line}");
            }
        }
    }
}
