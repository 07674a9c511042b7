//! `daytwo up`: run the working tree as an env's current release, after
//! the daemon applied the env's pending migrations (when its `[migrations]`
//! has a `database`). Without `--detach` it streams the env's logs until
//! Ctrl-C, which stops the env (as `foreman start` does).

use crate::cli::UpArgs;
use crate::commands::{down, logs, ps};
use crate::context::{Context, api_error, load_spec, spec_path};
use crate::exit;
use crate::output::print_json;
use crate::progress::Progress;
use daytwo_api::{LogQuery, UpRequest};
use daytwo_types::WORKING_TREE_RELEASE;
use miette::{Result, miette};
use std::time::Instant;

const LOG_MARGIN_MS: u64 = 100;

pub async fn run(context: &Context, args: UpArgs) -> Result<u8> {
    let path = spec_path(&args.spec)?;
    let spec = load_spec(&path)?;
    let env = spec.env(&args.env).map_err(miette::Report::new)?;
    let env_name = env.env.clone();
    let listen = env.listen;
    let replica_count: u32 = env.processes.values().map(|p| p.replicas).sum();
    // The daemon applies the env's pending migrations before it starts
    // anything (like a deploy's migrate step).
    let migrations = spec
        .migrations_for(&env_name)
        .filter(|migrations| migrations.database.is_some())
        .cloned();
    let client = context.daemon().await?;

    let quiet = args.json;
    let migrating = if migrations.is_some() {
        "applying pending migrations, then "
    } else {
        ""
    };
    let progress = Progress::step(
        format!(
            "{migrating}starting {env_name} of {} ({replica_count} replicas)",
            env.app
        ),
        quiet,
    );
    let started_at = Instant::now();
    let request = UpRequest {
        spec: env,
        release: WORKING_TREE_RELEASE.to_string(),
        migrations,
    };
    let started = match client.up(&request).await {
        Ok(started) => started,
        Err(error) => {
            progress.abandon();
            return Err(api_error(error));
        }
    };
    let applied = if started.migrations.is_empty() {
        String::new()
    } else {
        let files: Vec<&str> = started.migrations.iter().map(|m| m.file.as_str()).collect();
        format!("; applied {}", files.join(", "))
    };
    progress.finish(format!(
        "started {env_name}: {} replica(s){applied}",
        started.replicas.len()
    ));

    if let (Some(listen), false) = (listen, quiet) {
        eprintln!("{env_name} serves on http://{listen}");
    }

    if args.detach {
        if args.json {
            print_json(&started);
        } else {
            anstream::print!("{}", ps::render(&started.replicas));
        }
        return Ok(exit::SUCCESS);
    }

    eprintln!("streaming logs of {env_name}; Ctrl-C stops the env");
    let query = LogQuery {
        env: Some(env_name.clone()),
        // Lines from this start on (a small margin for clock granularity).
        since_ms: Some(started_at.elapsed().as_millis() as u64 + LOG_MARGIN_MS),
        follow: true,
        ..LogQuery::default()
    };
    let mut stream = client.logs(&query).await.map_err(api_error)?;
    let outcome = loop {
        tokio::select! {
            line = stream.next() => match line {
                Ok(Some(line)) => logs::print_line(&line, args.json),
                Ok(None) => break Err(miette!(
                    help = "`daytwo status` shows whether the daemon is running",
                    "the daemon closed the log stream"
                )),
                Err(error) => break Err(api_error(error)),
            },
            _ = tokio::signal::ctrl_c() => break Ok(()),
        }
    };
    down::stop_env(&client, &env_name, quiet).await?;
    outcome.map(|()| exit::SUCCESS)
}
