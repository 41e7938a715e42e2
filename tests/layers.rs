//! The dependency direction of ARCHITECTURE.md's layer table, checked on the code: every path
//! a source file names (`use` trees, and paths in expressions and types) is resolved to the
//! module it reaches, and a module may reach only its own layer or one below. A command may
//! not reach a sibling command: what two commands share lives in `commands/mod.rs`.
//!
//! The table is read from ARCHITECTURE.md itself, so the map and the code cannot disagree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use syn::visit::Visit;

const CRATE: &str = "perf_manual";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Module → layer, from the rows `| N | `a`, `b::c` | ...` under `## Layers`.
fn layer_table() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n## ")
        .find(|section| section.starts_with("Layers"))
        .expect("ARCHITECTURE.md has a `## Layers` section");
    let mut table = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (Some(layer), Some(modules)) = (cells.get(1), cells.get(2)) else {
            continue;
        };
        let Ok(layer) = layer.parse::<usize>() else {
            continue;
        };
        for module in modules.split(',') {
            let module = module.trim().trim_matches('`');
            if !module.is_empty() {
                table.insert(module.to_string(), layer);
            }
        }
    }
    assert!(table.len() > 5, "the layer table was not found: {table:?}");
    table
}

/// The module path of a source file: `src/collect/tools/perf.rs` → `collect::tools::perf`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(root().join("src")).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// Every path a file names, made absolute within the crate (`crate::`, `super::`, `self::`,
/// and the library's own name in main.rs); paths to other crates are left out.
struct Paths {
    module: Vec<String>,
    found: Vec<Vec<String>>,
}

impl Paths {
    fn resolve(&mut self, segments: Vec<String>) {
        let Some(first) = segments.first() else {
            return;
        };
        let mut base = match first.as_str() {
            "crate" | CRATE => Vec::new(),
            "self" => self.module.clone(),
            "super" => self.module.clone(),
            _ => return,
        };
        let mut rest = &segments[1..];
        if first == "super" {
            base.pop();
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        base.extend(rest.iter().cloned());
        self.found.push(base);
    }

    fn use_tree(&mut self, prefix: Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                let mut prefix = prefix;
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
            }
            syn::UseTree::Name(name) => {
                let mut full = prefix;
                if name.ident != "self" {
                    full.push(name.ident.to_string());
                }
                self.resolve(full);
            }
            syn::UseTree::Rename(rename) => {
                let mut full = prefix;
                full.push(rename.ident.to_string());
                self.resolve(full);
            }
            syn::UseTree::Glob(_) => self.resolve(prefix),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix.clone(), tree);
                }
            }
        }
    }
}

impl<'ast> Visit<'ast> for Paths {
    /// Inside `mod tests { ... }`, `super` is the file's module.
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.resolve(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }
}

/// The layer of a module path: the longest entry of the table it starts with.
fn layer_of(table: &BTreeMap<String, usize>, module: &[String]) -> Option<(String, usize)> {
    (1..=module.len())
        .rev()
        .map(|len| module[..len].join("::"))
        .find_map(|name| table.get(&name).map(|&layer| (name, layer)))
}

#[test]
fn no_module_imports_one_above_it_and_no_command_imports_another() {
    let table = layer_table();
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    files.sort();
    let mut problems = Vec::new();
    for file in &files {
        let module = module_of(file);
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|err| panic!("{file:?}: {err}"));
        let mut paths = Paths {
            module: module.clone(),
            found: Vec::new(),
        };
        paths.visit_file(&syntax);
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        let Some((own, own_layer)) = layer_of(&table, &module) else {
            // lib.rs and main.rs sit above every layer; any other file must be in the table.
            assert!(
                module.is_empty(),
                "{name}: module {} is not in ARCHITECTURE.md's layer table",
                module.join("::")
            );
            continue;
        };
        for path in &paths.found {
            let Some((target, target_layer)) = layer_of(&table, path) else {
                continue;
            };
            if target_layer > own_layer && target != own {
                problems.push(format!(
                    "{name}: {own} (layer {own_layer}) reaches up to {} (layer {target_layer})",
                    path.join("::")
                ));
            }
            let sibling_command = module.first().is_some_and(|m| m == "commands")
                && path.first().is_some_and(|p| p == "commands")
                && module.len() == 2
                && path.len() > 2
                && path[1] != module[1]
                && std::fs::metadata(root().join("src/commands").join(format!("{}.rs", path[1])))
                    .is_ok();
            if sibling_command {
                problems.push(format!(
                    "{name}: the command {} imports the command {}",
                    module[1], path[1]
                ));
            }
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "imports against ARCHITECTURE.md's layers:\n{}",
        problems.join("\n")
    );
}
