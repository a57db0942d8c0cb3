//! Where a tool finds the files of a saltrelay checkout it reads by default (the vectors, the
//! bench cost file, the bench crate): relative to the working directory, never at a path
//! compiled into the binary, so a shipped `saltrelay` works on the checkout it is run in.

use std::path::{Path, PathBuf};

/// A default path that is neither in the working directory nor in any folder above it.
#[derive(Debug, thiserror::Error)]
#[error(
    "no {relative} in {} or any folder above it: run this inside a saltrelay checkout, or {hint}",
    start.display()
)]
pub struct NotInCheckout {
    /// The path looked for, relative to a checkout's root.
    pub relative: String,
    /// Where the search started: the working directory.
    pub start: PathBuf,
    /// What to give instead (`give the folder with --dir DIR`).
    pub hint: String,
}

/// The nearest of `start` and the folders above it that holds `relative`.
#[must_use]
pub fn base_from(start: &Path, relative: &str) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(relative).exists())
        .map(Path::to_path_buf)
}

/// The folder holding `relative` (a path within a checkout): the working directory when it
/// does, else the nearest folder above it that does.
///
/// # Errors
/// [`NotInCheckout`], whose text ends with `hint`, when no such folder exists.
pub fn base(relative: &str, hint: &str) -> Result<PathBuf, NotInCheckout> {
    let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    base_from(&start, relative).ok_or_else(|| NotInCheckout {
        relative: relative.to_owned(),
        start,
        hint: hint.to_owned(),
    })
}

/// `relative` (a path within a checkout) as found by [`base`]: as given when it is in the
/// working directory, else an absolute path into the folder above that holds it.
///
/// # Errors
/// [`NotInCheckout`] when no folder holds it.
pub fn find(relative: &str, hint: &str) -> Result<PathBuf, NotInCheckout> {
    let found = base(relative, hint)?;
    if std::env::current_dir().is_ok_and(|here| here == found) {
        Ok(PathBuf::from(relative))
    } else {
        Ok(found.join(relative))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_path_comes_from_the_working_directory_or_above() {
        let root = tempfile::tempdir().unwrap();
        let inner = root.path().join("simulator/src");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::create_dir_all(root.path().join("reports/bench")).unwrap();
        std::fs::write(root.path().join("reports/bench/costs.json"), "{}").unwrap();
        let file = "reports/bench/costs.json";
        assert_eq!(base_from(root.path(), file).as_deref(), Some(root.path()));
        assert_eq!(base_from(&inner, file).as_deref(), Some(root.path()));
        // Nothing is found where the working directory has no checkout around it, whatever
        // the checkout this test binary was built from.
        let elsewhere = tempfile::tempdir().unwrap();
        assert_eq!(base_from(elsewhere.path(), "vectors/saltrelay"), None);
        assert_eq!(base_from(elsewhere.path(), file), None);
    }

    #[test]
    fn the_error_says_where_it_looked_and_what_to_give() {
        let error = NotInCheckout {
            relative: "vectors/saltrelay".into(),
            start: PathBuf::from("/tmp/x"),
            hint: "give the folder with --dir DIR".into(),
        };
        assert_eq!(
            error.to_string(),
            "no vectors/saltrelay in /tmp/x or any folder above it: run this inside a saltrelay \
             checkout, or give the folder with --dir DIR"
        );
    }
}
