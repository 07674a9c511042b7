//! `daytwo env diff A B`: the effective differences between two envs.

use crate::cli::EnvDiffArgs;
use crate::context::{load_spec, spec_path};
use crate::exit;
use crate::output::{Cell, Style, print_json, table};
use miette::Result;

pub fn diff(args: EnvDiffArgs) -> Result<u8> {
    let path = spec_path(&args.spec)?;
    let spec = load_spec(&path)?;
    let left = spec.env(&args.left).map_err(miette::Report::new)?;
    let right = spec.env(&args.right).map_err(miette::Report::new)?;
    let differences = daytwo_spec::diff(&left, &right);
    if args.json {
        print_json(&serde_json::json!({
            "left": args.left,
            "right": args.right,
            "differences": differences,
        }));
        return Ok(exit::SUCCESS);
    }
    if differences.is_empty() {
        anstream::println!("{} and {} are identical", args.left, args.right);
        return Ok(exit::SUCCESS);
    }
    let rows = differences
        .iter()
        .map(|difference| {
            vec![
                Cell::new(difference.key.clone()),
                value_cell(&difference.left),
                value_cell(&difference.right),
            ]
        })
        .collect();
    anstream::print!("{}", table(&["KEY", &args.left, &args.right], rows));
    Ok(exit::SUCCESS)
}

fn value_cell(value: &Option<String>) -> Cell {
    match value {
        Some(value) => Cell::new(value.clone()),
        None => Cell::styled("(unset)", Style::Dim),
    }
}
