//! `daytwo events`: the event log.

use crate::cli::EventsArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::{Cell, Style, print_json, table};
use miette::Result;

pub async fn run(context: &Context, args: EventsArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let events = client
        .events(args.env.as_deref(), Some(args.limit))
        .await
        .map_err(api_error)?;
    if args.json {
        print_json(&events);
        return Ok(exit::SUCCESS);
    }
    let rows = events
        .iter()
        .map(|event| {
            let style = if event.kind.contains("crash") || event.kind.contains("killed") {
                Style::Bad
            } else {
                Style::Plain
            };
            vec![
                Cell::styled(event.ts.clone(), Style::Dim),
                Cell::new(
                    event
                        .replica
                        .clone()
                        .or(event.env.clone())
                        .unwrap_or_default(),
                ),
                Cell::styled(event.kind.clone(), style),
                Cell::new(event.message.clone()),
            ]
        })
        .collect();
    anstream::print!("{}", table(&["TIME", "WHERE", "EVENT", "MESSAGE"], rows));
    Ok(exit::SUCCESS)
}
