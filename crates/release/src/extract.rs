//! Writes checked payload entries under a fresh root directory. Only the
//! scan calls it, after an entry passed every check; paths are relative,
//! `..`-free and the root is new, so nothing can land outside it. Files are
//! created with `create_new` (never through an existing path).

use crate::error::ReleaseError;
use crate::mode::DIR_MODE;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub(crate) struct Extractor {
    root: PathBuf,
    /// Directories created, to fsync once everything is written.
    dirs: Vec<PathBuf>,
}

impl Extractor {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self {
            dirs: vec![root.clone()],
            root,
        }
    }

    fn make_parents(&mut self, relative: &str) -> Result<(), ReleaseError> {
        let mut dir = self.root.clone();
        let parts: Vec<&str> = relative.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            dir.push(part);
            self.make_dir(&dir)?;
        }
        Ok(())
    }

    fn make_dir(&mut self, dir: &Path) -> Result<(), ReleaseError> {
        match std::fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
            Ok(()) => {
                self.dirs.push(dir.to_path_buf());
                Ok(())
            }
            // Only directories are ever created here, so an existing path
            // is one of ours; a file in its place is caught by the scan
            // (duplicate) or fails on use.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(e) => Err(ReleaseError::io("create", dir)(e)),
        }
    }

    pub(crate) fn dir(&mut self, relative: &str) -> Result<(), ReleaseError> {
        self.make_parents(relative)?;
        let dir = self.root.join(relative);
        self.make_dir(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(DIR_MODE))
            .map_err(ReleaseError::io("set permissions of", &dir))
    }

    /// A new file for `relative`, created with `mode`.
    pub(crate) fn file(
        &mut self,
        relative: &str,
        mode: u32,
    ) -> Result<(File, PathBuf), ReleaseError> {
        self.make_parents(relative)?;
        let path = self.root.join(relative);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)
            .map_err(ReleaseError::io("create", &path))?;
        // The umask may have narrowed `mode`.
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(ReleaseError::io("set permissions of", &path))?;
        Ok((file, path))
    }

    /// fsyncs every directory created, deepest first.
    pub(crate) fn sync(&self) -> Result<(), ReleaseError> {
        for dir in self.dirs.iter().rev() {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), ReleaseError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(ReleaseError::io("sync", dir))
}
