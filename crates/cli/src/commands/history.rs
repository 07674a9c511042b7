//! `daytwo history`: every deploy, promote and rollback.

use crate::cli::HistoryArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::{Cell, Style, print_json, table};
use miette::Result;

pub async fn run(context: &Context, args: HistoryArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let records = client
        .history(args.env.as_deref())
        .await
        .map_err(api_error)?;
    if args.json {
        print_json(&records);
        return Ok(exit::SUCCESS);
    }
    if records.is_empty() {
        anstream::println!("no deploys yet");
        return Ok(exit::SUCCESS);
    }
    let rows = records
        .iter()
        .map(|record| {
            let style = match record.outcome.as_str() {
                "succeeded" | "reconciled-new" => Style::Good,
                "running" => Style::Warn,
                _ => Style::Bad,
            };
            vec![
                Cell::styled(record.started_at.clone(), Style::Dim),
                Cell::new(record.env.clone()),
                Cell::new(record.kind.clone()),
                Cell::new(
                    record
                        .from
                        .as_ref()
                        .map_or("-".to_string(), |from| from.version.clone()),
                ),
                Cell::new(record.to.version.clone()),
                Cell::new(record.strategy.clone()),
                Cell::styled(record.outcome.clone(), style),
                Cell::new(
                    record
                        .duration_ms
                        .map_or("-".to_string(), |ms| format!("{:.1}s", ms as f64 / 1000.0)),
                ),
                Cell::new(record.user.clone()),
                Cell::new(record.message.clone().unwrap_or_default()),
            ]
        })
        .collect();
    anstream::print!(
        "{}",
        table(
            &[
                "STARTED", "ENV", "KIND", "FROM", "TO", "STRATEGY", "OUTCOME", "TOOK", "USER",
                "NOTE"
            ],
            rows
        )
    );
    Ok(exit::SUCCESS)
}
