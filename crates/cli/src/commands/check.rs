//! `daytwo check`: validate a spec and print every problem.

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
            if args.json {
                print_json(&json!({
                    "valid": true,
                    "file": spec.file,
                    "app": spec.app,
                    "envs": spec.envs.keys().collect::<Vec<_>>(),
                    "processes": spec.base.processes.keys().collect::<Vec<_>>(),
                    "diagnostics": loaded.warnings,
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
            }
            Ok(exit::SUCCESS)
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
