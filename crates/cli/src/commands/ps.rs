//! `daytwo ps`: every replica with its state, pid, port and resources.

use crate::cli::PsArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::{Cell, Style, age, bytes, print_json, state_cell, table};
use daytwo_api::ReplicaInfo;
use miette::Result;

pub async fn run(context: &Context, args: PsArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let replicas = client.ps(args.env.as_deref()).await.map_err(api_error)?;
    if args.json {
        print_json(&replicas);
    } else if replicas.is_empty() {
        anstream::println!("no replicas running; `daytwo up` starts an env");
    } else {
        anstream::print!("{}", render(&replicas));
    }
    Ok(exit::SUCCESS)
}

/// The replica table shared by `ps` and `up --detach`.
pub fn render(replicas: &[ReplicaInfo]) -> String {
    let rows = replicas
        .iter()
        .map(|r| {
            vec![
                Cell::new(r.env.clone()),
                Cell::new(format!("{}.{}", r.process, r.replica)),
                state_cell(r.state),
                dash(r.pid),
                dash(r.port),
                Cell::new(r.restarts.to_string()),
                Cell::new(bytes(r.rss_bytes)),
                Cell::new(format!("{:.1}%", r.cpu_percent)),
                Cell::new(
                    r.started_at
                        .as_deref()
                        .map(age)
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::styled(r.release.clone(), Style::Dim),
            ]
        })
        .collect();
    table(
        &[
            "ENV", "REPLICA", "STATE", "PID", "PORT", "RESTARTS", "RSS", "CPU", "UP", "RELEASE",
        ],
        rows,
    )
}

fn dash(value: Option<impl ToString>) -> Cell {
    match value {
        Some(value) => Cell::new(value.to_string()),
        None => Cell::styled("-", Style::Dim),
    }
}
