//! The marketplace boundary holds: outside the Tokopedia adapter, its simulator, the migrations and the
//! tests, no code names Tokopedia's integration by its literal id. Everything else reaches a marketplace
//! through `ocean_core::marketplace::{Marketplace, Marketplaces, Session}` or the `integrations` table.

use std::path::{Path, PathBuf};

/// The Tokopedia adapter: the client and its wire types, and the module that puts them behind the
/// boundary.
const ADAPTER: [&str; 7] = [
    "core/src/marketplace/tokopedia.rs",
    "core/src/marketplace/client.rs",
    "core/src/marketplace/client",
    "core/src/marketplace/catalog.rs",
    "core/src/marketplace/envelope.rs",
    "core/src/marketplace/error.rs",
    "core/src/marketplace/types.rs",
];
/// Never searched: build output, history, the simulator, migrations, tests, prose and vendored packages.
const SKIPPED_DIRS: [&str; 6] = ["target", ".git", "sim", "migrations", "tests", "node_modules"];
const CODE: [&str; 9] = ["rs", "toml", "sh", "js", "html", "css", "yaml", "yml", "json"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn code_files(dir: &Path, root: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable directory").flatten() {
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if ADAPTER
            .iter()
            .any(|a| relative == *a || relative.starts_with(&format!("{a}/")))
        {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_str()) {
                code_files(&path, root, found);
            }
        } else if name == "Makefile"
            || path
                .extension()
                .is_some_and(|e| CODE.contains(&e.to_string_lossy().as_ref()))
        {
            found.push(path);
        }
    }
}

#[test]
fn no_code_outside_the_tokopedia_adapter_names_it_by_its_literal_id() {
    let root = workspace();
    let mut files = Vec::new();
    code_files(&root, &root, &mut files);
    assert!(
        files.len() > 50,
        "the walk found the workspace's code ({} files)",
        files.len()
    );
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let relative = file.strip_prefix(&root).unwrap().display().to_string();
            text.lines()
                .enumerate()
                .filter(|(_, line)| line.contains("\"tokopedia\""))
                .map(|(n, line)| format!("{relative}:{}: {}", n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "use the adapter's id or the integrations table:\n{}",
        offenders.join("\n")
    );
}
