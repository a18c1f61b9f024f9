//! Embeds the saved reports of `queries/` in the binary, so an installed trailscope has them.

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
}
