//! The language end to end: what parses, what each error says and where, and that no input
//! panics or overflows the stack.

use super::ast::HostFact;
use super::grammar::VALUE_EXPECTED;
use super::*;

/// The expression `text` parses to; panics with the error when it does not.
pub(super) fn parsed(text: &str) -> Expr {
    match parse_expression(text) {
        Ok(expr) => expr,
        Err(error) => panic!("{text:?} should parse: {error}"),
    }
}

fn error(text: &str) -> ExprError {
    match parse_expression(text) {
        Ok(expr) => panic!("{text:?} should not parse, got {expr:?}"),
        Err(error) => error,
    }
}

#[test]
fn documented_examples_parse() {
    for text in [
        "avg(vmstat.r) / host.cpus > 1.0 for 5s",
        "iostat.util > 90% for 10s",
        r#"p95(iostat.r_await{device=~"sd.*"}) > 20ms"#,
        r#"max(mpstat.busy{cpu!="all"}) >= 95%"#,
        r#"all(mpstat.busy{cpu!="all"} > 80%) for 5s"#,
        "rate(procfs.ctxt) > 100000/s",
        "vmstat.free < 100MiB and vmstat.si > 0",
        "host.mem_total_kib - vmstat.free > 1GiB or -vmstat.r <= -4",
        "any((avg(t.a) + 1) * 2 > 3 and (t.b > 1 or t.c < 2)) for 1m30s",
        " mpstat.busy { cpu = 'all' , } > 1 ",
        "sum(t.x{}) == 0",
        "avg(vmstat.si + vmstat.so) > 10 for 5s",
        "max(net_dev.rxerr_s + net_dev.txerr_s) > 0",
        "p99(t.a / host.cpus * 100) > 1",
    ] {
        parsed(text);
    }
}

#[test]
fn for_durations_and_series_names() {
    let expr =
        parsed("avg(vmstat.r) / host.cpus > 1.0 and vmstat.r > mpstat.busy + vmstat.r for 1m30s");
    assert_eq!(expr.hold, Some(90.0));
    assert_eq!(expr.series_names(), vec!["vmstat.r", "mpstat.busy"]);
    assert_eq!(expr.host_facts(), vec![HostFact::Cpus]);
    assert_eq!(parsed("t.a > 1").hold, None);
    assert_eq!(parsed("t.a > 1 for 500ms").hold, Some(0.5));
}

#[test]
fn errors_point_at_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "avg(mpstat.busy)",
            16,
            "expected a comparison like `> 90%` after `avg(mpstat.busy)`",
        ),
        (
            "avg(mpstat.busy) 90%",
            17,
            "expected a comparison like `> 90%` after `avg(mpstat.busy)`",
        ),
        (
            "t.a > 1 and 3",
            13,
            "expected a comparison like `> 90%` after `3`",
        ),
        (
            "t.a > 90% garbage",
            10,
            "expected `and`, `or`, `for DURATION`",
        ),
        ("t.a > 1 for 5s )", 15, "expected `and`, `or`"),
        ("t.a > 5kb", 7, "unknown unit `kb`"),
        (r#"t.a{cpu=~"("} > 1"#, 9, "bad regular expression"),
        // Found by fuzzing: counted repetitions nested into a huge automaton are refused
        // at 1 MB compiled, not built up to the regex crate's 10 MB.
        (
            r#"t.a{cpu!~".+{544}{54}"} > 1"#,
            9,
            "exceeds size limit of 1048576 bytes",
        ),
        (r#"t.a{cpu="0" > 1"#, 12, "expected `,` or `}`"),
        (
            r#"t.a{cpu > 1"#,
            8,
            "expected `=`, `!=`, `=~` or `!~` after label `cpu`",
        ),
        (r#"t.a{cpu="0} > 1"#, 8, "unterminated string"),
        ("foo(t.a) > 1", 0, "unknown function `foo`"),
        (
            "avg(3) > 1",
            4,
            "expected a series like `mpstat.busy` inside `avg(...)`",
        ),
        ("avg(host.cpus) > 1", 4, "expected a series"),
        ("avg(t.a + max(t.b)) > 1", 4, "aggregates do not nest"),
        (
            "avg(t.a > 1) > 1",
            8,
            "expected `)` to close the `(` at byte 3",
        ),
        ("avg t.a > 1", 0, "expected `(` after `avg`"),
        ("(t.a > 1", 8, "expected `)` to close the `(` at byte 0"),
        ("1 < t.a < 2", 8, "comparisons cannot be chained"),
        ("t.a = 1", 4, "use `==`"),
        ("", 0, "empty expression"),
        ("   ", 3, "empty expression"),
        ("t.a > 1 for 5", 12, "bad duration"),
        ("t.a > 1 for 0s", 12, "longer than zero"),
        ("t.a > 1 for", 11, "bad duration"),
        ("host.nope > 1", 5, "unknown host fact `nope`"),
        (
            "(t.a > 1) + 2 > 3",
            0,
            "is a condition (true or false), not a number",
        ),
        ("t.a >", 5, "expected a value"),
        ("t > 1", 0, "expected a value"),
        ("t. > 1", 2, "expected a field name after `t.`"),
        ("t.a > and", 6, "found `and`"),
        ("t.a > 1 and", 11, "expected a value"),
        (
            "any(t.a)",
            7,
            "expected a comparison like `> 90%` after `t.a`",
        ),
        ("any(t.a > 1) > 1", 0, "`any(t.a > 1)` is a condition"),
        ("p100(t.a) > 1", 0, "unknown function `p100`"),
        ("t.a > 1e5", 7, "unknown unit `e`"),
        ("t.a > #", 6, "found `#`"),
    ];
    for (text, offset, message) in cases {
        let error = error(text);
        assert!(
            error.message.contains(message),
            "{text:?}: {:?} should contain {message:?}",
            error.message
        );
        assert_eq!(error.offset, *offset, "{text:?}: {error}");
    }
    assert_eq!(
        error("t.a >").to_string(),
        format!("{VALUE_EXPECTED}, found the end of the expression")
    );
}

#[test]
fn deep_or_long_input_is_refused_not_overflowed() {
    for text in [
        "(".repeat(100_000),
        format!("{}t.a > 1{}", "(".repeat(1000), ")".repeat(1000)),
        format!("{}1 > 0", "-".repeat(100_000)),
        format!("{}1 > 0", "1 + ".repeat(100_000)),
        format!("{}t.a > 1", "any(".repeat(10_000)),
        "t.a > 1 and ".repeat(10_000),
    ] {
        let error = error(&text);
        assert!(
            error.message.contains("too deeply") || error.message.contains("too long"),
            "{}",
            error.message
        );
    }
}

/// A small deterministic generator (xorshift), so the test needs no new dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_input_never_panics() {
    const PIECES: &[&str] = &[
        "avg",
        "(",
        ")",
        "mpstat",
        ".",
        "busy",
        "{",
        "}",
        "cpu",
        "=",
        "!=",
        "=~",
        "!~",
        "\"",
        "'",
        "\\",
        ",",
        ">",
        ">=",
        "<",
        "==",
        "+",
        "-",
        "*",
        "/",
        "90",
        "%",
        "ms",
        "MiB/s",
        "/s",
        "1.5",
        "host",
        "cpus",
        "and",
        "or",
        "for",
        "5s",
        "any",
        "all",
        " ",
        "p95",
        "µ",
        "é",
        "\u{0}",
        "🦀",
        "[",
        "9999999999999999999999999999999999999999999999",
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let length = noise.next() % 24;
        let mut text = String::new();
        for _ in 0..length {
            if noise.next().is_multiple_of(8) {
                let bytes: Vec<u8> = (0..noise.next() % 4).map(|_| noise.next() as u8).collect();
                text.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                let index = (noise.next() % PIECES.len() as u64) as usize;
                text.push_str(PIECES.get(index).copied().unwrap_or(""));
            }
        }
        if let Err(error) = parse_expression(&text) {
            assert!(error.offset <= text.len(), "{text:?}: {error}");
        }
    }
}

#[test]
fn every_prefix_of_a_valid_expression_is_handled() {
    let text = r#"all(p95(iostat.r_await{device=~"sd.*", x!='y'}) / 2 >= 20ms) or -host.cpus * 3 != 1.5 for 1m30s"#;
    parsed(text);
    for (index, _) in text.char_indices() {
        let prefix = text.get(..index).unwrap_or("");
        if let Err(error) = parse_expression(prefix) {
            assert!(error.offset <= prefix.len(), "{prefix:?}: {error}");
        }
    }
}
