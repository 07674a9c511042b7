//! `daytwo incident list|show`: what went wrong, what daytwo did about it
//! and when, readable the morning after. Read from the state directory
//! directly, so it works with the daemon stopped.

use crate::context::Context;
use crate::exit;
use crate::output::{Cell, Style, paint, print_json, table};
use clap::{Args, Subcommand};
use daytwo_api::{Incident, IncidentTimeline};
use miette::{Result, miette};

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Incidents, newest first: a canary rolled back by a guard, a leak
    /// remediated by the steady-state watch.
    List(IncidentListArgs),
    /// One incident's timeline: guard verdicts, alerts, remediation, flag
    /// flips, deploys and replica restarts, with timestamps and offsets.
    Show(IncidentShowArgs),
}

#[derive(Debug, Args)]
pub struct IncidentListArgs {
    /// Only this env.
    #[arg(long)]
    pub env: Option<String>,
    /// At most this many (the newest).
    #[arg(long, short = 'n', default_value_t = 20)]
    pub limit: u32,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IncidentShowArgs {
    /// The incident (default: the newest, of `--env` when given).
    pub id: Option<i64>,
    #[arg(long)]
    pub env: Option<String>,
    #[arg(long)]
    pub json: bool,
}

impl IncidentCommand {
    pub fn json(&self) -> bool {
        match self {
            Self::List(args) => args.json,
            Self::Show(args) => args.json,
        }
    }
}

pub fn run(context: &Context, command: IncidentCommand) -> Result<u8> {
    match command {
        IncidentCommand::List(args) => list(context, args),
        IncidentCommand::Show(args) => show(context, args),
    }
}

fn list(context: &Context, args: IncidentListArgs) -> Result<u8> {
    let incidents = daytwo_daemon::list_incidents(&context.home, args.env.as_deref(), args.limit)
        .map_err(|error| miette!("cannot read the incidents: {error}"))?;
    if args.json {
        print_json(&incidents);
        return Ok(exit::SUCCESS);
    }
    if incidents.is_empty() {
        anstream::println!("No incidents.");
        return Ok(exit::SUCCESS);
    }
    let rows = incidents
        .iter()
        .map(|incident| {
            vec![
                Cell::new(incident.id.to_string()),
                Cell::styled(incident.opened_at.clone(), Style::Dim),
                Cell::new(incident.env.clone()),
                Cell::new(release(incident)),
                Cell::new(incident.guard.clone().unwrap_or_else(|| "—".into())),
                status_cell(incident),
                Cell::new(incident.summary.clone()),
            ]
        })
        .collect();
    anstream::print!(
        "{}",
        table(
            &[
                "ID", "OPENED", "ENV", "RELEASE", "GUARD", "STATUS", "SUMMARY"
            ],
            rows
        )
    );
    Ok(exit::SUCCESS)
}

fn show(context: &Context, args: IncidentShowArgs) -> Result<u8> {
    let found = daytwo_daemon::incident_timeline(&context.home, args.id, args.env.as_deref())
        .map_err(|error| miette!("cannot read the incident: {error}"))?;
    let Some(report) = found else {
        return Err(match args.id {
            Some(id) => miette!(
                help = "`daytwo incident list` shows the incidents",
                "no incident {id}"
            ),
            None => miette!(
                help = "incidents open when a guard rolls back a canary or the steady-state watch fires",
                "no incidents yet"
            ),
        });
    };
    if args.json {
        print_json(&report);
        return Ok(exit::SUCCESS);
    }
    anstream::print!("{}", render(&report));
    Ok(exit::SUCCESS)
}

/// The human timeline.
fn render(report: &IncidentTimeline) -> String {
    let incident = &report.incident;
    let mut out = format!(
        "{} {} · {} · {} · guard {} · {}\n{}\n\n",
        paint("incident", Style::Bad),
        incident.id,
        incident.env,
        release(incident),
        incident.guard.as_deref().unwrap_or("—"),
        match &incident.closed_at {
            Some(_) => format!("closed after {}", seconds(incident.duration_ms)),
            None => format!("open for {}", seconds(incident.duration_ms)),
        },
        incident.summary
    );
    let rows = report
        .timeline
        .iter()
        .map(|entry| {
            let style = if entry.kind.contains("failed")
                || entry.kind.contains("rolled_back")
                || entry.kind.contains("crash")
                || entry.kind.contains("alert")
            {
                Style::Bad
            } else {
                Style::Plain
            };
            vec![
                Cell::styled(format!("+{}", seconds(entry.offset_ms)), Style::Dim),
                Cell::styled(clock(&entry.time), Style::Dim),
                Cell::styled(entry.kind.clone(), style),
                Cell::new(match &entry.replica {
                    Some(replica) => format!("{replica}: {}", entry.message),
                    None => entry.message.clone(),
                }),
            ]
        })
        .collect();
    out.push_str(&table(&["AFTER", "TIME", "EVENT", "WHAT"], rows));
    out
}

fn release(incident: &Incident) -> String {
    match &incident.release {
        Some(release) => release.version.clone(),
        None => "—".into(),
    }
}

fn status_cell(incident: &Incident) -> Cell {
    match &incident.closed_at {
        Some(_) => Cell::new(format!("closed ({})", seconds(incident.duration_ms))),
        None => Cell::styled("open", Style::Bad),
    }
}

fn seconds(millis: u64) -> String {
    format!("{:.1}s", millis as f64 / 1000.0)
}

/// `HH:MM:SS.mmm` of an RFC 3339 time (UTC), the whole text otherwise.
fn clock(time: &str) -> String {
    time.parse::<jiff::Timestamp>()
        .map(|ts| ts.strftime("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|_| time.to_string())
}
