//! A replica's log file with size-based rotation: when a line would grow
//! `x.log` past `max_bytes`, `x.log.N-1` → `x.log.N` … `x.log` → `x.log.1`, and
//! a fresh `x.log` is started. At most `keep` rotated files are kept. Written
//! by the shim only (std, no async).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub(crate) struct RotatingLog {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: File,
    size: u64,
}

impl RotatingLog {
    /// Opens (appending) or creates the log file and its directory.
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> io::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_path_buf(),
            max_bytes,
            keep,
            file,
            size,
        })
    }

    /// Appends one line (a newline is added), rotating first if needed.
    pub fn write_line(&mut self, line: &str) -> io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0 && self.size + len > self.max_bytes {
            self.rotate()?;
        }
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.file.write_all(&buf)?;
        self.size += len;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        if self.keep == 0 {
            self.file = File::create(&self.path)?;
            self.size = 0;
            return Ok(());
        }
        let _ = std::fs::remove_file(rotated(&self.path, self.keep));
        for n in (1..self.keep).rev() {
            let from = rotated(&self.path, n);
            if from.exists() {
                std::fs::rename(&from, rotated(&self.path, n + 1))?;
            }
        }
        std::fs::rename(&self.path, rotated(&self.path, 1))?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

/// `x.log.n`
pub(crate) fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_and_keeps_the_newest_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("logs/web.1.log");
        let mut log = RotatingLog::open(&path, 20, 2).unwrap();
        for i in 0..10 {
            log.write_line(&format!("line number {i}")).unwrap(); // 14 bytes + newline
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "line number 9\n");
        assert_eq!(
            std::fs::read_to_string(rotated(&path, 1)).unwrap(),
            "line number 8\n"
        );
        assert_eq!(
            std::fs::read_to_string(rotated(&path, 2)).unwrap(),
            "line number 7\n"
        );
        assert!(!rotated(&path, 3).exists());
    }

    #[test]
    fn reopening_appends_to_the_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        RotatingLog::open(&path, 1000, 1)
            .unwrap()
            .write_line("one")
            .unwrap();
        RotatingLog::open(&path, 1000, 1)
            .unwrap()
            .write_line("two")
            .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
    }
}
