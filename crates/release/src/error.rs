//! `ReleaseError`: every way building, verifying or importing a bundle can
//! fail, each variant named after the step and carrying what a user needs to
//! act on it. [`ReleaseError::code`] is stable (for `--json`) and
//! [`ReleaseError::hint`] says what to do.

use crate::keys::KeyId;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    // ── building ────────────────────────────────────────────────────────
    #[error("{file} has no [build] section")]
    BuildNotConfigured { file: PathBuf },

    #[error("could not start the build command `{command}`: {source}")]
    BuildCommandStart {
        command: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the build command `{command}` {status}{}", last_lines_text(.last_lines))]
    BuildCommandFailed {
        command: String,
        /// Exit code; `None` when the command was killed by a signal.
        code: Option<i32>,
        /// `exited with code 2` or `was killed by signal 9`.
        status: String,
        /// The last lines of its combined stdout and stderr.
        last_lines: Vec<String>,
    },

    #[error("artifact `{path}` does not exist (declared in {}{})", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    MissingArtifact {
        path: String,
        /// The spec file that declares it.
        file: PathBuf,
        /// 1-based line of the declaration, when found.
        line: Option<usize>,
    },

    #[error(
        "artifact `{path}` is a symbolic link; bundles hold only regular files and directories"
    )]
    ArtifactSymlink { path: String },

    #[error("artifact `{path}` is a {kind}; bundles hold only regular files and directories")]
    UnsupportedArtifact { path: String, kind: &'static str },

    #[error("path {} is not valid UTF-8", path.display())]
    NonUtf8Path { path: PathBuf },

    #[error("artifact `{path}` changed while it was being packed")]
    ArtifactChanged { path: String },

    #[error("`{version}` is not a valid release version")]
    InvalidVersion { version: String },

    #[error("the migration directory {} is not inside the spec's directory {}", dir.display(), spec_dir.display())]
    MigrationsOutsideSpecDir { dir: PathBuf, spec_dir: PathBuf },

    #[error("cannot bundle the migrations: {reason}")]
    Migrations { reason: String },

    #[error(
        "artifact `{path}` uses the reserved directory `.daytwo/` (daytwo writes the release's log-template index there)"
    )]
    ReservedArtifact { path: String },

    #[error("the log-template index (`daytwo why`) of {}: {reason}", path.display())]
    WhyIndex { path: PathBuf, reason: String },

    // ── keys ────────────────────────────────────────────────────────────
    #[error("a key already exists at {}", path.display())]
    KeyExists { path: PathBuf },

    #[error("{} is not a valid daytwo {what}: {reason}", path.display())]
    InvalidKeyFile {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },

    #[error("no trusted keys for env `{env}` in {}", dir.display())]
    NoTrustedKeys { env: String, dir: PathBuf },

    // ── verifying ───────────────────────────────────────────────────────
    #[error("{} is not a daytwo bundle: {reason}", path.display())]
    NotABundle { path: PathBuf, reason: String },

    #[error("the bundle's manifest is invalid: {reason}")]
    InvalidManifest { reason: String },

    #[error("bundle format {format} is not supported (this daytwo reads format {supported})")]
    UnsupportedFormat { format: u32, supported: u32 },

    #[error("the bundle is not signed")]
    Unsigned,

    #[error("the bundle is signed by key {key_id}, which is not trusted{}", trusted_text(.trusted))]
    UntrustedKey { key_id: KeyId, trusted: Vec<KeyId> },

    #[error("the bundle's signature (key {key_id}) does not match its manifest and digest")]
    BadSignature { key_id: KeyId },

    #[error(
        "the bundle's manifest was modified: its content hashes to {actual}, but it claims {claimed}"
    )]
    ManifestTampered { claimed: String, actual: String },

    #[error("the bundle is a release of app `{found}`, not `{expected}`")]
    WrongApp { expected: String, found: String },

    #[error("entry `{entry}` does not match the manifest: {reason}")]
    PayloadTampered { entry: String, reason: String },

    #[error("entry `{entry}` is not listed in the manifest")]
    UnlistedEntry { entry: String },

    #[error("entry `{entry}` is listed in the manifest but missing from the bundle")]
    MissingEntry { entry: String },

    // ── unsafe archives ─────────────────────────────────────────────────
    #[error("entry `{entry}` refused: {problem}")]
    UnsafeEntry {
        entry: String,
        problem: EntryProblem,
    },

    #[error("the bundle holds more than {limit} entries")]
    TooManyEntries { limit: u64 },

    #[error("entry `{entry}` takes the bundle's unpacked size past the limit of {limit} bytes")]
    TotalTooLarge { entry: String, limit: u64 },

    #[error(
        "decompression bomb: reading entry `{entry}` unpacked {unpacked} bytes from {packed} compressed bytes"
    )]
    DecompressionBomb {
        entry: String,
        unpacked: u64,
        packed: u64,
    },

    // ── store ───────────────────────────────────────────────────────────
    #[error("the bundle at {} changed between verification and extraction", path.display())]
    BundleChanged { path: PathBuf },

    #[error("could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why one archive entry is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    #[error("absolute path")]
    AbsolutePath,
    #[error("path contains `..`")]
    ParentComponent,
    #[error("path is empty, has an empty or `.` component, or a backslash")]
    MalformedPath,
    #[error("path is not valid UTF-8")]
    NonUtf8Path,
    #[error("path longer than {limit} bytes")]
    PathTooLong { limit: usize },
    #[error("symbolic link")]
    Symlink,
    #[error("hard link")]
    Hardlink,
    #[error("device node")]
    Device,
    #[error("FIFO")]
    Fifo,
    #[error("unsupported entry type `{0}`")]
    OtherType(String),
    #[error("setuid, setgid or sticky bit set (mode {mode:o})")]
    SpecialBits { mode: u32 },
    #[error("duplicate entry")]
    Duplicate,
    #[error("{size} bytes, over the per-entry limit of {limit} bytes")]
    TooLarge { size: u64, limit: u64 },
    #[error("outside the bundle's `files/` payload")]
    OutsidePayload,
}

fn last_lines_text(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!("; last output:\n{}", lines.join("\n"))
    }
}

fn trusted_text(trusted: &[KeyId]) -> String {
    if trusted.is_empty() {
        " (no key is trusted)".to_string()
    } else {
        let ids: Vec<String> = trusted.iter().map(ToString::to_string).collect();
        format!(" (trusted: {})", ids.join(", "))
    }
}

impl ReleaseError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    /// A stable code, e.g. `release::unsigned`, for scripts and `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BuildNotConfigured { .. } => "release::build_not_configured",
            Self::BuildCommandStart { .. } => "release::build_command_start",
            Self::BuildCommandFailed { .. } => "release::build_command_failed",
            Self::MissingArtifact { .. } => "release::missing_artifact",
            Self::ArtifactSymlink { .. } => "release::artifact_symlink",
            Self::UnsupportedArtifact { .. } => "release::unsupported_artifact",
            Self::NonUtf8Path { .. } => "release::non_utf8_path",
            Self::ArtifactChanged { .. } => "release::artifact_changed",
            Self::InvalidVersion { .. } => "release::invalid_version",
            Self::MigrationsOutsideSpecDir { .. } => "release::migrations_outside_spec_dir",
            Self::Migrations { .. } => "release::migrations",
            Self::ReservedArtifact { .. } => "release::reserved_artifact",
            Self::WhyIndex { .. } => "release::why_index",
            Self::KeyExists { .. } => "release::key_exists",
            Self::InvalidKeyFile { .. } => "release::invalid_key_file",
            Self::NoTrustedKeys { .. } => "release::no_trusted_keys",
            Self::NotABundle { .. } => "release::not_a_bundle",
            Self::InvalidManifest { .. } => "release::invalid_manifest",
            Self::UnsupportedFormat { .. } => "release::unsupported_format",
            Self::Unsigned => "release::unsigned",
            Self::UntrustedKey { .. } => "release::untrusted_key",
            Self::BadSignature { .. } => "release::bad_signature",
            Self::ManifestTampered { .. } => "release::manifest_tampered",
            Self::WrongApp { .. } => "release::wrong_app",
            Self::PayloadTampered { .. } => "release::payload_tampered",
            Self::UnlistedEntry { .. } => "release::unlisted_entry",
            Self::MissingEntry { .. } => "release::missing_entry",
            Self::UnsafeEntry { .. } => "release::unsafe_entry",
            Self::TooManyEntries { .. } => "release::too_many_entries",
            Self::TotalTooLarge { .. } => "release::total_too_large",
            Self::DecompressionBomb { .. } => "release::decompression_bomb",
            Self::BundleChanged { .. } => "release::bundle_changed",
            Self::Io { .. } => "release::io",
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let hint = match self {
            Self::BuildNotConfigured { .. } => {
                "add `[build]` with `artifacts = [...]` to the spec (docs/spec.md)"
            }
            Self::BuildCommandStart { .. } => {
                "check that `sh` is on PATH and the spec's directory exists"
            }
            Self::BuildCommandFailed { .. } => {
                "run the command by hand in the spec's directory to see the full output"
            }
            Self::MissingArtifact { .. } => {
                "fix the path in `build.artifacts`, or make the build command create it"
            }
            Self::ArtifactSymlink { .. } | Self::UnsupportedArtifact { .. } => {
                "list the real files instead, or copy them into place in the build command"
            }
            Self::NonUtf8Path { .. } => "rename the file to a UTF-8 name",
            Self::ArtifactChanged { .. } => {
                "make sure nothing writes to the artifacts while `daytwo build` runs"
            }
            Self::InvalidVersion { .. } => {
                "use letters, digits, `.`, `-`, `_` and `+` (at most 128 characters), e.g. `1.4.0`"
            }
            Self::MigrationsOutsideSpecDir { .. } => {
                "move the migrations into a subdirectory of the spec's directory: a release bundles them"
            }
            Self::Migrations { .. } => {
                "fix the migration files (`daytwo migrate lint` lists the problems)"
            }
            Self::ReservedArtifact { .. } => {
                "rename or move the artifact out of `.daytwo/` in `build.artifacts`"
            }
            Self::WhyIndex { .. } => {
                "check that the spec's directory is readable; rebuild the release with `daytwo build`"
            }
            Self::KeyExists { .. } => {
                "keep the existing key, or move it away first: a new key must be trusted again everywhere"
            }
            Self::InvalidKeyFile { .. } => {
                "regenerate it with `daytwo keys generate`, or restore the file"
            }
            Self::NoTrustedKeys { .. } => {
                "copy the builder's public key (keys/*.pub) into this directory"
            }
            Self::NotABundle { .. } | Self::InvalidManifest { .. } => {
                "rebuild the bundle with `daytwo build`"
            }
            Self::UnsupportedFormat { .. } => {
                "upgrade daytwo, or rebuild the bundle with this version"
            }
            Self::Unsigned => {
                "build it with a signing key (`daytwo keys generate`, then `daytwo build`)"
            }
            Self::UntrustedKey { .. } => {
                "if you trust the builder, add its public key to the env's trusted keys (docs/releases.md)"
            }
            Self::BadSignature { .. } => {
                "the bundle was modified after signing: obtain it again from the builder"
            }
            Self::ManifestTampered { .. }
            | Self::PayloadTampered { .. }
            | Self::UnlistedEntry { .. }
            | Self::MissingEntry { .. } => {
                "the bundle was modified after it was built: obtain it again from the builder"
            }
            Self::WrongApp { .. } => "import a bundle built from this app's spec",
            Self::UnsafeEntry { .. }
            | Self::TooManyEntries { .. }
            | Self::TotalTooLarge { .. }
            | Self::DecompressionBomb { .. } => {
                "do not use this bundle: it was not made by `daytwo build`"
            }
            Self::BundleChanged { .. } => {
                "do not modify a bundle while it is imported; import it again"
            }
            Self::Io { .. } => return None,
        };
        Some(hint.to_string())
    }
}
