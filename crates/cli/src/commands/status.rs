//! `daytwo status`: the daemon and the envs it runs.

use crate::cli::OutputArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::{Cell, Style, paint, print_json, table};
use miette::Result;

pub async fn run(context: &Context, args: OutputArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let status = client.status().await.map_err(api_error)?;
    if args.json {
        print_json(&status);
        return Ok(exit::SUCCESS);
    }
    let daemon = &status.daemon;
    anstream::println!(
        "{} pid {} · version {} · home {}",
        paint("daemon", Style::Bold),
        daemon.pid,
        daemon.version,
        daemon.home
    );
    anstream::println!("memory limits: {}", daemon.memory_enforcement);
    if status.envs.is_empty() {
        anstream::println!("no envs running; `daytwo up` starts one");
        return Ok(exit::SUCCESS);
    }
    anstream::println!();
    let rows = status
        .envs
        .iter()
        .map(|env| {
            let health = format!("{}/{}", env.replicas_healthy, env.replicas_desired);
            let style = if env.replicas_healthy >= env.replicas_desired {
                Style::Good
            } else {
                Style::Warn
            };
            vec![
                Cell::new(env.name.clone()),
                Cell::new(env.app.clone()),
                Cell::new(env.listen.clone().unwrap_or_else(|| "-".into())),
                Cell::styled(health, style),
                Cell::new(env.release.version.clone()),
                Cell::new(env.metrics_url.clone().unwrap_or_else(|| "-".into())),
                Cell::styled(env.spec.clone(), Style::Dim),
            ]
        })
        .collect();
    anstream::print!(
        "{}",
        table(
            &["ENV", "APP", "LISTEN", "HEALTHY", "RELEASE", "SPEC"],
            rows
        )
    );
    Ok(exit::SUCCESS)
}
