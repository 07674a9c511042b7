//! `daytwo logs`: captured output of replicas, optionally followed.

use crate::cli::LogsArgs;
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::color_enabled;
use daytwo_api::{LogLine, LogQuery, LogStream};
use miette::Result;
use owo_colors::{AnsiColors, OwoColorize};

pub async fn run(context: &Context, args: LogsArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let query = LogQuery {
        env: args.env,
        process: args.process,
        replica: args.replica,
        since_ms: args.since.map(|since| since.as_millis() as u64),
        follow: args.follow,
        tail: args.tail,
    };
    let stream = client.logs(&query).await.map_err(api_error)?;
    tokio::select! {
        result = print_all(stream, args.json) => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(exit::SUCCESS)
}

async fn print_all(mut stream: LogStream, json: bool) -> Result<()> {
    while let Some(line) = stream.next().await.map_err(api_error)? {
        print_line(&line, json);
    }
    Ok(())
}

/// One line as `HH:MM:SS.mmm env/process.N | text`, the prefix coloured per
/// replica on a terminal; with `--json` the line's JSON object.
pub fn print_line(line: &LogLine, json: bool) {
    if json {
        anstream::println!(
            "{}",
            serde_json::to_string(line).expect("log lines serialize")
        );
        return;
    }
    let time = clock_time(&line.ts);
    let prefix = format!("{}/{}.{}", line.env, line.process, line.replica);
    if color_enabled() {
        let color = PALETTE[prefix.bytes().map(usize::from).sum::<usize>() % PALETTE.len()];
        let text = if line.stream == "stderr" {
            line.line.red().to_string()
        } else {
            line.line.clone()
        };
        anstream::println!(
            "{} {} {} {text}",
            time.dimmed(),
            prefix.color(color),
            "|".dimmed()
        );
    } else {
        anstream::println!("{time} {prefix} | {}", line.line);
    }
}

/// `HH:MM:SS.mmm` (UTC) of an RFC 3339 time, whatever precision it was
/// written with; the text as is when it does not parse.
fn clock_time(ts: &str) -> String {
    ts.parse::<jiff::Timestamp>()
        .map(|ts| ts.strftime("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|_| ts.to_string())
}

const PALETTE: [AnsiColors; 6] = [
    AnsiColors::Cyan,
    AnsiColors::Magenta,
    AnsiColors::Blue,
    AnsiColors::Yellow,
    AnsiColors::Green,
    AnsiColors::BrightCyan,
];

#[cfg(test)]
mod tests {
    #[test]
    fn log_times_show_milliseconds_whatever_the_precision() {
        for (ts, want) in [
            ("2026-11-27T04:31:37.54Z", "04:31:37.540"),
            ("2026-11-27T04:31:37Z", "04:31:37.000"),
            ("2026-11-27T04:31:37.123456Z", "04:31:37.123"),
            ("not a time", "not a time"),
        ] {
            assert_eq!(super::clock_time(ts), want);
        }
    }
}
