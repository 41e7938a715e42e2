//! The rule expression language: what a rule's `when` says, parsed with nom.
//!
//! # Examples
//!
//! ```text
//! avg(vmstat.r) / host.cpus > 1.0 for 5s       run queue per CPU above 1, over some 5 s window
//! iostat.util > 90% for 10s                    some device above 90 % at every sample for 10 s
//! p95(iostat.r_await{device=~"sd.*"}) > 20ms   whole-run 95th percentile of read latency
//! avg(vmstat.si + vmstat.so) > 10 for 5s       swapping in and out, over some 5 s window
//! max(mpstat.busy{cpu!="all"}) >= 95%          the busiest single CPU
//! all(mpstat.busy{cpu!="all"} > 80%) for 5s    every CPU busy at the same time
//! rate(procfs.ctxt) > 100000/s                 a counter turned into a per-second rate
//! vmstat.free < 100MiB and vmstat.si > 0       two comparisons joined
//! ```
//!
//! # Grammar
//!
//! ```text
//! rule        = condition [ "for" duration ]
//! condition   = conjunction { "or" conjunction }
//! conjunction = comparison { "and" comparison }
//! comparison  = sum [ ( ">" | ">=" | "<" | "<=" | "==" | "!=" ) sum ]
//! sum         = product { ( "+" | "-" ) product }
//! product     = unary { ( "*" | "/" ) unary }
//! unary       = "-" unary | primary
//! primary     = number [ unit ] | "host." fact | selector
//!             | aggregate "(" sum ")" | ( "any" | "all" ) "(" condition ")"
//!             | "(" condition ")"
//! selector    = table "." field [ "{" [ matcher { "," matcher } [ "," ] ] "}" ]
//! matcher     = label ( "=" | "!=" | "=~" | "!~" ) string      string: '...' or "..." with \ escapes
//! aggregate   = avg | min | max | sum | count | last | rate | delta | pNN   (p1 ... p99)
//! number      = digits [ "." digits ]                                     (no sign, no exponent)
//! unit        = % | ns | us | µs | ms | s | B | KiB | MiB | GiB | /s | B/s | KiB/s | MiB/s | GiB/s
//! duration    = 500ms | 10s | 2m | 1h | 1m30s
//! fact        = cpus (a count) | mem_total_kib (KiB)
//! ```
//!
//! A comparison's place is fixed by the grammar: the whole expression, each operand of `and` and
//! `or` and the inside of `any(...)` and `all(...)` must be conditions; everything else is a
//! number. An aggregate's argument reads at least one series and holds no aggregate
//! (`avg(vmstat.si + vmstat.so)`, not `avg(3)` or `avg(max(x))`): it is computed sample by
//! sample, then aggregated. `and` binds tighter than `or`; comparisons do not chain
//! (`1 < x < 2` is an error). A unit sticks to its number (`20ms`, not `20 ms`). Regular
//! expressions (`=~`, `!~`) use the regex crate's syntax and must match the whole label value,
//! as in Prometheus. A label a series does not have reads as the empty string, so
//! `{cpu!="all"}` keeps series without a `cpu` label.
//!
//! What each construct means, over time and across instances, is written in
//! [`crate::rules::eval`].
//!
//! # Where things are
//!
//! A rule's `when` is read in steps, as just reads a justfile: `lex` (tokens) → `grammar` (nom:
//! text to an untyped tree, errors that point) → `typing` (conditions told from numbers) →
//! [`Expr`] (the typed tree of `ast`, with the series and host facts it reads). `literal` reads
//! numbers with their units and durations, `selector` series and their label matchers; `error`
//! holds the errors.

mod ast;
mod error;
mod grammar;
mod lex;
mod literal;
mod selector;
#[cfg(test)]
mod tests;
mod typing;

pub use ast::{Aggregate, ArithOp, CmpOp, Comparison, Cond, Expr, Value};
pub use error::ExprError;
pub(crate) use error::{Parsed, SyntaxError, finish, found};
pub(crate) use lex::{identifier, keyword, quoted, skip_space};
pub use selector::Selector;

/// Parse a rule's `when`. Never panics; rejects anything after the expression.
///
/// ```
/// use perf_manual::rules::parse_expression;
///
/// let expr = parse_expression("avg(vmstat.r) / host.cpus > 1.0 for 5s").expect("valid");
/// assert_eq!(expr.series_names(), vec!["vmstat.r"]);
/// assert_eq!(expr.hold, Some(5.0));
///
/// let error = parse_expression("avg(mpstat.busy)").expect_err("no comparison");
/// assert_eq!(error.offset, 16);
/// assert!(error.message.contains("expected a comparison like `> 90%` after `avg(mpstat.busy)`"));
/// ```
pub fn parse_expression(text: &str) -> Result<Expr, ExprError> {
    let (tree, hold) = grammar::parse(text)?;
    let condition = typing::condition(text, tree)?;
    Ok(Expr::new(condition, hold))
}
