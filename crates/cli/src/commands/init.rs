//! `daytwo init`: write a starter spec, or convert a Procfile.

use crate::cli::InitArgs;
use crate::exit;
use miette::{IntoDiagnostic, Result, WrapErr, miette};

pub fn run(args: InitArgs) -> Result<u8> {
    if args.output.exists() && !args.force {
        return Err(miette!(
            help = "pass --force to overwrite it, or --output to write elsewhere",
            "{} already exists",
            args.output.display()
        ));
    }
    let name = match args.name {
        Some(name) => name,
        None => default_app_name(&args.output),
    };
    let text = match &args.procfile {
        Some(procfile) => {
            let source = std::fs::read_to_string(procfile)
                .into_diagnostic()
                .wrap_err_with(|| format!("cannot read {}", procfile.display()))?;
            daytwo_spec::procfile::convert(&source, &name).map_err(miette::Report::new)?
        }
        None => daytwo_spec::starter(&name),
    };
    std::fs::write(&args.output, text)
        .into_diagnostic()
        .wrap_err_with(|| format!("cannot write {}", args.output.display()))?;
    eprintln!(
        "wrote {} for app `{name}`; next: `daytwo check`, then `daytwo up`",
        args.output.display()
    );
    Ok(exit::SUCCESS)
}

/// The output directory's name, lowered to a valid app name.
fn default_app_name(output: &std::path::Path) -> String {
    let dir = std::path::absolute(output)
        .ok()
        .and_then(|path| path.parent().map(|p| p.to_path_buf()))
        .and_then(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let name: String = dir
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let name = name.trim_matches('-').to_string();
    if name.is_empty() {
        "app".to_string()
    } else {
        name
    }
}
