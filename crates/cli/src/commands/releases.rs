//! `daytwo import` and `daytwo releases`: the release store.

use crate::cli::{ImportArgs, OutputArgs};
use crate::context::{Context, api_error};
use crate::exit;
use crate::output::{Cell, Style, age, print_json, table};
use daytwo_api::{ImportRequest, ReleaseInfo};
use miette::{IntoDiagnostic, Result, WrapErr};

pub async fn import(context: &Context, args: ImportArgs) -> Result<u8> {
    let path = std::path::absolute(&args.file)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot resolve {}", args.file.display()))?;
    let client = context.daemon().await?;
    let release = client
        .import(&ImportRequest {
            path: path.display().to_string(),
        })
        .await
        .map_err(api_error)?;
    if args.json {
        print_json(&release);
    } else {
        let note = if release.already_present {
            " (already in the store)"
        } else {
            ""
        };
        anstream::println!(
            "imported {} {} {}{note}",
            release.app,
            release.version,
            release.digest
        );
    }
    Ok(exit::SUCCESS)
}

pub async fn list(context: &Context, args: OutputArgs) -> Result<u8> {
    let client = context.daemon().await?;
    let releases = client.releases().await.map_err(api_error)?;
    if args.json {
        print_json(&releases);
    } else if releases.is_empty() {
        anstream::println!("no releases yet; `daytwo build` makes one");
    } else {
        anstream::print!("{}", render(&releases));
    }
    Ok(exit::SUCCESS)
}

fn render(releases: &[ReleaseInfo]) -> String {
    let rows = releases
        .iter()
        .map(|release| {
            let short = release
                .digest
                .get(..19)
                .unwrap_or(release.digest.as_str())
                .to_string();
            vec![
                Cell::new(release.app.clone()),
                Cell::new(release.version.clone()),
                Cell::styled(short, Style::Dim),
                Cell::new(age(&release.created)),
                Cell::new(
                    release
                        .git_commit
                        .clone()
                        .map_or("-".to_string(), |commit| {
                            let short: String = commit.chars().take(8).collect();
                            if release.git_dirty {
                                format!("{short}+dirty")
                            } else {
                                short
                            }
                        }),
                ),
                Cell::styled(
                    if release.deployed_to.is_empty() {
                        "-".to_string()
                    } else {
                        release.deployed_to.join(", ")
                    },
                    Style::Good,
                ),
            ]
        })
        .collect();
    table(
        &["APP", "VERSION", "DIGEST", "AGE", "COMMIT", "DEPLOYED"],
        rows,
    )
}
