//! CLI behaviour pinned with trycmd cases (tests/cmd/*.toml).
//! Regenerate on purpose with `TRYCMD=overwrite cargo test --test cli`.

#[test]
fn cli_cases() {
    trycmd::TestCases::new()
        .case("tests/cmd/*.toml")
        .case("tests/cmd/*.md");
}
