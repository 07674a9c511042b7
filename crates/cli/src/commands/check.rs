//! `daytwo check`: validate a spec and print every problem, then lint its
//! `[migrations]` (the dialect of the default env's database URL, else
//! PostgreSQL) like `daytwo build` does; exits 1 when the lint does not pass.

use crate::cli::CheckArgs;
use crate::context::spec_path;
use crate::exit;
use crate::output::print_json;
use miette::Result;
use serde_json::json;

pub fn run(args: CheckArgs) -> Result<u8> {
    let path = spec_path(&args.spec)?;
    match daytwo_spec::load(&path) {
        Ok(loaded) => {
            let spec = &loaded.spec;
            let migrations = daytwo_release::migrations::bundle(spec);
            let lint_passes = match &migrations {
                Ok(bundled) => bundled.report.passes(),
                Err(_) => false,
            };
            if args.json {
                print_json(&json!({
                    "valid": true,
                    "file": spec.file,
                    "app": spec.app,
                    "envs": spec.envs.keys().collect::<Vec<_>>(),
                    "processes": spec.base.processes.keys().collect::<Vec<_>>(),
                    "diagnostics": loaded.warnings,
                    "migrations_findings": migrations.as_ref().ok().map(|m| &m.report.findings),
                    "migrations_annotation_problems": migrations.as_ref().ok().map(|m| &m.report.annotation_problems),
                    "migrations_error": migrations.as_ref().err().map(|e| e.to_string()),
                }));
            } else {
                crate::context::print_warnings(&loaded);
                anstream::println!(
                    "{}: {} is valid: app `{}`, {} process(es), envs: {}",
                    crate::output::paint("ok", crate::output::Style::Good),
                    spec.file.display(),
                    spec.app,
                    spec.base.processes.len(),
                    if spec.envs.is_empty() {
                        "none declared (dev is implied)".to_string()
                    } else {
                        spec.envs.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                );
                match &migrations {
                    Ok(bundled) if bundled.artifact.is_some() => {
                        anstream::println!("{}", bundled.report);
                    }
                    Ok(_) => {}
                    Err(error) => anstream::eprintln!(
                        "{}: {error}",
                        crate::output::paint("error", crate::output::Style::Bad)
                    ),
                }
            }
            Ok(if lint_passes {
                exit::SUCCESS
            } else {
                exit::FAILURE
            })
        }
        Err(error) => {
            if args.json {
                print_json(&json!({
                    "valid": false,
                    "file": path,
                    "diagnostics": error.diagnostics(),
                }));
            } else {
                eprintln!("{:?}", miette::Report::new(error));
            }
            Ok(exit::FAILURE)
        }
    }
}
