//! `daytwo.toml`: the one declarative spec of an app.
//!
//! ```text
//! file ─parse (spans)─> raw ─interpolate ${VAR}─> overlay [env.NAME] ─validate─> Spec / EnvSpec
//! ```

mod model;

pub use model::*;
