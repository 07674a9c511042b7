//! `daytwo build`: run the spec's build command, pack the artifacts and the
//! effective spec into a signed, content-addressed bundle, and (unless
//! `--no-import`) add it to the local release store.

use crate::cli::BuildArgs;
use crate::context::{Context, api_error, load_spec, release_error, spec_path};
use crate::exit;
use crate::output::{Style, paint, print_json};
use crate::progress::Progress;
use daytwo_api::ImportRequest;
use daytwo_release::{BuildOptions, SigningKey, keys};
use miette::{Result, miette};

/// Where bundles go by default, inside `DAYTWO_HOME`.
const BUNDLES_DIR: &str = "bundles";

pub async fn run(context: &Context, args: BuildArgs) -> Result<u8> {
    let path = spec_path(&args.spec)?;
    let spec = load_spec(&path)?;
    let key_path = match args.key {
        Some(key) => key,
        None => keys::key_paths(&keys::home_key_dir(&context.home), keys::DEFAULT_KEY_NAME).0,
    };
    if !key_path.exists() {
        return Err(miette!(
            help = "`daytwo keys generate` creates one (or pass --key FILE)",
            "no signing key at {}",
            key_path.display()
        ));
    }
    let signing_key = SigningKey::load(&key_path).map_err(release_error)?;
    let output_dir = args
        .output
        .unwrap_or_else(|| context.home.join(BUNDLES_DIR));
    std::fs::create_dir_all(&output_dir)
        .map_err(|error| miette!("cannot create {}: {error}", output_dir.display()))?;

    let progress = Progress::step(format!("building {}", spec.app), args.json);
    let options = BuildOptions {
        output_dir,
        signing_key: Some(signing_key),
        source_date_epoch: None,
    };
    // The build command may take a while: keep the runtime free.
    let version = args.version.clone();
    let built =
        tokio::task::spawn_blocking(move || daytwo_release::build(&spec, version, &options))
            .await
            .map_err(|error| miette!("the build task failed: {error}"))?;
    let built = match built {
        Ok(built) => built,
        Err(error) => {
            progress.abandon();
            return Err(release_error(error));
        }
    };
    progress.finish(format!(
        "built {} {} ({} files)",
        built.manifest.app,
        built.version,
        built.manifest.entries.len()
    ));
    if built.manifest.rollback_unsafe {
        warn_rollback_unsafe(&built);
    }

    if !args.no_import {
        let client = context.daemon().await?;
        let request = ImportRequest {
            path: std::path::absolute(&built.path)
                .unwrap_or(built.path.clone())
                .display()
                .to_string(),
        };
        client.import(&request).await.map_err(api_error)?;
    }

    if args.json {
        print_json(&serde_json::json!({
            "version": built.version,
            "digest": built.digest.to_string(),
            "path": built.path,
            "rollback_unsafe": built.manifest.rollback_unsafe,
            "migrations": built.manifest.migrations,
        }));
    } else {
        anstream::println!("{}", built.digest);
        anstream::println!("{}", built.path.display());
    }
    Ok(exit::SUCCESS)
}

/// A release with contract/unknown migrations still builds; it is marked
/// rollback-unsafe and `daytwo deploy` asks for `--allow-contract`.
fn warn_rollback_unsafe(built: &daytwo_release::BuiltBundle) {
    let files: Vec<&str> = built
        .manifest
        .contract_migrations()
        .map(|m| m.file.as_str())
        .collect();
    anstream::eprintln!(
        "{}: release {} is rollback-unsafe: contract migrations in {}",
        paint("warning", Style::Warn),
        built.version,
        files.join(", ")
    );
    if !built.migrations_lint.passes() {
        anstream::eprintln!("{}", built.migrations_lint);
    }
    anstream::eprintln!(
        "  deploying it needs --allow-contract; split the change into expand and contract releases to keep rollback possible (docs/migrations.md)"
    );
}
