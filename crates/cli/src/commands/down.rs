//! `daytwo down`: stop an env (or all); returns when every replica exited.

use crate::cli::DownArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::print_json;
use crate::progress::Progress;
use daytwo_api::{Client, EnvReplicas};
use miette::Result;

pub async fn run(context: &Context, args: DownArgs) -> Result<u8> {
    let Some(client) = context.running_daemon().await else {
        // Nothing runs without the daemon: there is nothing to stop.
        if args.json {
            print_json(&Vec::<EnvReplicas>::new());
        } else {
            eprintln!("the daemon is not running; nothing to stop");
        }
        return Ok(exit::SUCCESS);
    };
    let envs: Vec<String> = if args.all {
        let status = client.status().await.map_err(api_error)?;
        status.envs.into_iter().map(|env| env.name).collect()
    } else {
        vec![
            args.env
                .unwrap_or_else(|| daytwo_spec::DEFAULT_ENV.to_string()),
        ]
    };
    let mut stopped = Vec::new();
    for env in envs {
        stopped.push(stop_env(&client, &env, args.json).await?);
    }
    if args.json {
        print_json(&stopped);
    }
    Ok(exit::SUCCESS)
}

/// Stops one env with progress output.
pub async fn stop_env(client: &Client, env: &str, quiet: bool) -> Result<EnvReplicas> {
    let progress = Progress::step(format!("stopping {env}"), quiet);
    match client.down(env).await {
        Ok(result) => {
            progress.finish(format!(
                "stopped {env}: {} replica(s) exited",
                result.replicas.len()
            ));
            Ok(result)
        }
        Err(error) => {
            progress.abandon();
            Err(api_error(error))
        }
    }
}
