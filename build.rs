//! Embeds the saved reports of `queries/` and the Sigma rules of `rules/sigma/` in the binary, so
//! an installed trailscope has them.

use std::fmt::Write;

fn main() {
    println!("cargo:rerun-if-changed=queries");
    let mut names: Vec<String> = std::fs::read_dir("queries")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut code = String::from(
        "/// The reports of `queries/`, as `(file name, text)`.\npub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for name in names {
        writeln!(
            code,
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/queries/{name}\"))),"
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_reports.rs");
    std::fs::write(out, code).unwrap();
    embed_rules();
}

/// The rules under `rules/sigma/rules`, as `(path in SigmaHQ's repository, text)`.
fn embed_rules() {
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("rules/sigma/rules")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yml") {
                files.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    let mut code = String::from(
        "/// SigmaHQ's rules as shipped, as `(path in their repository, text)`.\npub const BUILTIN: &[(&str, &str)] = &[\n",
    );
    for file in files {
        let path = file.trim_start_matches("rules/sigma/");
        writeln!(
            code,
            "    ({path:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{file}\"))),"
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(out, code).unwrap();
}
