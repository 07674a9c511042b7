//! Choosing one env's effective configuration from a loaded spec
//! (`--env NAME`, `dev` by default).

use crate::error::SpecError;
use crate::model::{DEFAULT_ENV, EnvSpec, Spec};
use crate::suggest::closest;

impl Spec {
    /// The effective configuration of env `name`: a declared `[env.NAME]`,
    /// or, for `dev` when it is not declared, the base configuration (no
    /// `listen`). Any other undeclared name is an error.
    pub fn env(&self, name: &str) -> Result<EnvSpec, SpecError> {
        if let Some(env) = self.envs.get(name) {
            return Ok(env.clone());
        }
        if name == DEFAULT_ENV {
            return Ok(EnvSpec {
                env: DEFAULT_ENV.to_string(),
                ..self.base.clone()
            });
        }
        let known = self.env_names();
        Err(SpecError::UnknownEnv {
            name: name.to_string(),
            suggestion: closest(name, known.iter().map(String::as_str)).map(str::to_string),
            known,
        })
    }

    /// Names usable with `--env`: the declared envs and `dev`, sorted.
    pub fn env_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.envs.keys().cloned().collect();
        if !self.envs.contains_key(DEFAULT_ENV) {
            names.push(DEFAULT_ENV.to_string());
            names.sort();
        }
        names
    }
}
