//! The environment a replica's command (and its command health check) runs
//! with: a minimal base taken from the engine's own environment, the
//! process's `environment`, `PORT` for HTTP processes, and the `DAYTWO_*`
//! variables:
//!
//! | variable | example |
//! |---|---|
//! | `DAYTWO_APP` | `shop` |
//! | `DAYTWO_ENV` | `dev` |
//! | `DAYTWO_PROCESS` | `web` |
//! | `DAYTWO_REPLICA` | `web.1` (process name and 1-based index) |
//! | `DAYTWO_RELEASE` | `working-tree` or a release digest |
//! | `DAYTWO_DATA_DIR` | `$DAYTWO_HOME/data/dev`: the env's persistent data, kept across releases |

use std::collections::BTreeMap;

/// Variables passed through from the engine's environment when set.
const INHERITED: [&str; 6] = ["PATH", "HOME", "USER", "LANG", "TZ", "TERM"];
/// `PATH` when the engine itself has none.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

pub(crate) struct ReplicaEnvInput<'a> {
    pub app: &'a str,
    pub env: &'a str,
    pub process: &'a str,
    pub replica: u32,
    pub release: &'a str,
    pub port: Option<u16>,
    pub data_dir: &'a std::path::Path,
    pub environment: &'a BTreeMap<String, String>,
}

/// The complete environment (the command starts from an empty one).
pub(crate) fn build(input: &ReplicaEnvInput<'_>) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for name in INHERITED {
        if let Some(value) = std::env::var_os(name) {
            vars.insert(name.to_owned(), value.to_string_lossy().into_owned());
        }
    }
    vars.entry("PATH".to_owned())
        .or_insert_with(|| FALLBACK_PATH.to_owned());
    for (name, value) in input.environment {
        vars.insert(name.clone(), value.clone());
    }
    if let Some(port) = input.port {
        vars.insert("PORT".to_owned(), port.to_string());
    }
    vars.insert("DAYTWO_APP".to_owned(), input.app.to_owned());
    vars.insert("DAYTWO_ENV".to_owned(), input.env.to_owned());
    vars.insert("DAYTWO_PROCESS".to_owned(), input.process.to_owned());
    vars.insert(
        "DAYTWO_REPLICA".to_owned(),
        format!("{}.{}", input.process, input.replica),
    );
    vars.insert("DAYTWO_RELEASE".to_owned(), input.release.to_owned());
    vars.insert(
        "DAYTWO_DATA_DIR".to_owned(),
        input.data_dir.display().to_string(),
    );
    vars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daytwo_variables_win_over_the_process_environment() {
        let mut environment = BTreeMap::new();
        environment.insert("GREETING".to_owned(), "hi".to_owned());
        environment.insert("DAYTWO_ENV".to_owned(), "spoofed".to_owned());
        let vars = build(&ReplicaEnvInput {
            app: "shop",
            env: "dev",
            process: "web",
            replica: 2,
            release: "working-tree",
            port: Some(4000),
            data_dir: std::path::Path::new("/h/data/dev"),
            environment: &environment,
        });
        assert_eq!(vars["GREETING"], "hi");
        assert_eq!(vars["DAYTWO_ENV"], "dev");
        assert_eq!(vars["DAYTWO_REPLICA"], "web.2");
        assert_eq!(vars["PORT"], "4000");
        assert_eq!(vars["DAYTWO_DATA_DIR"], "/h/data/dev");
        assert!(vars.contains_key("PATH"));
    }
}
