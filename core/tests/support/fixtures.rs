//! Where a marketplace's fixtures folder is and which file-name prefixes its README lists; shared by the
//! fixture tests through `#[path]` (a file below `tests/` is not a test binary of its own).

use std::path::{Path, PathBuf};

/// The folder named by `variable` (relative paths are taken from the project root), else `default`.
pub fn fixtures_dir(variable: &str, default: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = PathBuf::from(std::env::var(variable).unwrap_or_else(|_| default.into()));
    if dir.is_absolute() { dir } else { root.join(dir) }
}

/// Prefixes listed in the folder README's table (rows like "| `shop_get-shop-info` | GET ... |").
#[allow(dead_code)] // the signing test reads no README and checks no bodies
pub fn readme_prefixes(dir: &Path) -> Vec<String> {
    let readme = std::fs::read_to_string(dir.join("README.md"))
        .unwrap_or_else(|e| panic!("fixtures folder {} has no readable README.md: {e}", dir.display()));
    readme
        .lines()
        .filter_map(|line| line.trim().strip_prefix("| `"))
        .filter_map(|rest| rest.split_once('`').map(|(prefix, _)| prefix.to_owned()))
        .collect()
}

#[allow(dead_code)] // the signing test reads no README and checks no bodies
/// Runs `check` on every file of `dir` whose name `wanted` accepts, then fails listing every file it
/// refused (`name: why`), or when no file was checked.
pub fn check_every_file(
    dir: &Path,
    wanted: impl Fn(&str) -> bool,
    mut check: impl FnMut(&str, &[u8]) -> Result<(), String>,
) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in entries {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        if !wanted(&name) {
            continue;
        }
        let body = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        if let Err(why) = check(&name, &body) {
            failures.push(format!("{name}: {why}"));
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "fixtures that did not decode:\n{}",
        failures.join("\n")
    );
    assert!(checked > 0, "no fixture files in {}", dir.display());
    eprintln!("decoded {checked} fixture files from {}", dir.display());
}
