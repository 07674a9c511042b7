//! `daytwo keys generate|trust`: release signing keys and per-env trust.

use crate::cli::{KeysGenerateArgs, KeysTrustArgs};
use crate::context::{Context, release_error};
use crate::exit;
use crate::output::print_json;
use miette::Result;

pub fn generate(context: &Context, args: KeysGenerateArgs) -> Result<u8> {
    let dir = daytwo_release::keys::home_key_dir(&context.home);
    let files = daytwo_release::keys::generate(&dir, &args.name).map_err(release_error)?;
    let mut trusted = Vec::new();
    for env in &args.trust {
        daytwo_release::trust::trust(&context.home, env, &files.public_key)
            .map_err(release_error)?;
        trusted.push(env.clone());
    }
    if args.json {
        print_json(&serde_json::json!({
            "key_id": files.key_id.as_str(),
            "private_key": files.private_key,
            "public_key": files.public_key,
            "trusted_by": trusted,
        }));
    } else {
        anstream::println!(
            "generated key {} \n  private: {} (keep it secret; `daytwo build` signs with it)\n  public:  {}\n  trusted by: {}",
            files.key_id.as_str(),
            files.private_key.display(),
            files.public_key.display(),
            if trusted.is_empty() {
                "no env yet (`daytwo keys trust FILE --env ENV`)".to_string()
            } else {
                trusted.join(", ")
            }
        );
    }
    Ok(exit::SUCCESS)
}

pub fn trust(context: &Context, args: KeysTrustArgs) -> Result<u8> {
    for env in &args.envs {
        let path =
            daytwo_release::trust::trust(&context.home, env, &args.file).map_err(release_error)?;
        eprintln!(
            "env {env} trusts {} ({})",
            args.file.display(),
            path.display()
        );
    }
    Ok(exit::SUCCESS)
}
