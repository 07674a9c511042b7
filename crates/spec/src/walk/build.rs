//! `[build]`: the build command and the artifact paths it produces.

use super::{BUILD_KEYS, Expected, Value, Walker};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::raw::{Located, RawBuild};
use std::ops::Range;
use toml::de::DeValue;

/// An artifact path normalised to `/`-separated components without `.`
/// or a trailing `/`, or why it is not acceptable.
pub(crate) fn artifact_path(path: &str) -> Result<String, &'static str> {
    if path.trim().is_empty() {
        return Err("is empty");
    }
    if path.starts_with('/') {
        return Err("is absolute");
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("leaves the spec's directory (`..`)"),
            part if part.contains('\0') => return Err("contains a NUL byte"),
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err("names the spec's directory itself");
    }
    Ok(parts.join("/"))
}

impl Walker<'_> {
    pub(super) fn build(&mut self, key_span: Range<usize>, value: &Value<'_>) -> Option<RawBuild> {
        let table = self.table(value, "build")?;
        self.unknown_keys(table, BUILD_KEYS, "build");
        let mut build = RawBuild {
            key_span,
            ..RawBuild::default()
        };
        if let Some(command) = table.get("command") {
            build.command = self.command(command, "build.command");
        }
        if let Some(artifacts) = table.get("artifacts") {
            build.artifacts_written = true;
            build.artifacts = self.artifacts(artifacts, "build.artifacts");
        }
        Some(build)
    }

    /// The artifact list, each path checked and normalised; bad entries are
    /// reported and left out.
    fn artifacts(&mut self, value: &Value<'_>, field: &str) -> Option<Located<Vec<String>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, field, Expected::PathList);
            return None;
        };
        let mut paths: Vec<String> = Vec::new();
        let mut invalid = false;
        for (index, item) in items.iter().enumerate() {
            let item_field = format!("{field}[{index}]");
            let Some(path) = self.string(item, &item_field, Context::Value) else {
                invalid = true;
                continue;
            };
            match artifact_path(&path.value) {
                Ok(normal) if paths.contains(&normal) => self.problems.push(
                    SpecProblem::warning(
                        code::DUPLICATE_ARTIFACT,
                        format!("artifact `{}` is listed twice", path.value),
                    )
                    .field(&item_field)
                    .span(path.span)
                    .label("already listed")
                    .hint("remove the second entry"),
                ),
                Ok(normal) => paths.push(normal),
                Err(reason) => {
                    invalid = true;
                    self.problems.push(
                    SpecProblem::error(
                        code::INVALID_ARTIFACT,
                        format!("artifact `{}` {reason}", path.value),
                    )
                    .field(&item_field)
                    .span(path.span)
                    .label("bad artifact path")
                    .hint("write a path relative to the spec's directory that stays inside it, e.g. \"app.py\" or \"static/\""),
                    )
                }
            }
        }
        // Bad entries are reported already; an emptied list is not reported again.
        if invalid {
            return None;
        }
        Some(Located {
            value: paths,
            span: value.span(),
            field: field.to_string(),
        })
    }
}
