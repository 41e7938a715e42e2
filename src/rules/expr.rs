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
//! # Meaning
//!
//! A selector picks every instance (every set of labels) of a series. Values flow per instance:
//!
//! - **Time.** A sample at time `t` stands for the interval since the previous sample (the first
//!   sample is taken to cover one interval too), which is how sysstat reports. So five samples
//!   one second apart cover five seconds.
//! - **Without `for`**, an aggregate reduces each instance's whole series to one number, and a
//!   bare selector stays a series: a comparison on it fires if any sample holds.
//! - **With `for D`**, every aggregate is rolling: at each sample it reduces the samples of the
//!   window of length `D` that ends there, and has no value until a full window is available.
//!   A rule fires when its condition holds over a stretch of consecutive samples that covers at
//!   least `D` (one true rolling value covers its whole window, so an aggregate needs one full
//!   window; a bare selector must hold at every sample of the stretch). A quarter of a sample
//!   interval of slack absorbs timestamp jitter, never a whole missing sample.
//! - **Aggregates**: `avg`, `min`, `max`, `sum`, `last`, `count` (number of samples), `delta`
//!   (last − first), `rate` ((last − first) / (t_last − t_first), per second; needs two samples)
//!   and `pNN`, the nearest-rank percentile: sort the n values, take the ⌈NN/100 · n⌉-th. In a
//!   rolling window, `delta` and `rate` use the first and last samples inside the window.
//! - **Joining.** An operator between two sets of instances pairs instances whose shared labels
//!   agree (`iostat.r_await{device="sda"}` with `iostat.util{device="sda"}`); a set of one
//!   instance, a number and a host fact apply to every instance of the other side. Series from
//!   different tables are aligned by nearest time (within half the larger sample interval; the
//!   nearest sample counts as taken at the same time). An operator has a value only where both
//!   sides have one, so a stretch also ends at a sample missing on either side; a division by
//!   zero leaves no value at that sample.
//! - **Quantifiers.** `any(C)`, the default when no quantifier is written, judges each instance
//!   on its own: the rule fires if one instance holds (written inside `and` or `or` it changes
//!   nothing either). `all(C)` holds at a time when every instance holds then (for whole-run
//!   aggregates, when every instance's value holds), and then counts as a single instance.
//! - **Units.** A number with a unit is converted into the unit of the series it meets (`20ms`
//!   against seconds is `0.02`); `90%` against a percent series is 90. A plain number takes the
//!   unit of the other side. Comparing or adding values of different dimensions (`5ms` with a
//!   percentage) is an evaluation error naming both units. Dividing two values of the same
//!   dimension gives a count (a ratio); multiplying or dividing by a count keeps the unit (so
//!   `avg(vmstat.r) / host.cpus` is a count and `mpstat.busy / 2` a percentage).
//! - A number compared with a series (`90% < iostat.util`) is turned round so that the series is
//!   on the left: the finding's value is always the series side.
//! - **No data.** If a series the rule reads has no instance at all, or none matches its labels,
//!   or a host fact is unknown, the rule is *not evaluated* (a distinct outcome with the reason),
//!   and likewise when `for D` asks for more time than the data cover.
//!
//! The finding of a rule that fires reports the worst left-hand value that crossed (the highest
//! for `>`/`>=`, the lowest for `<`/`<=`) in the worst instance (for `all(...)`, the instance
//! with that value), the right-hand number when it is a constant, in the left side's unit, and
//! where it held: the stretch of samples (from the start of the interval of its first sample),
//! or the whole series' span for a whole-run aggregate. When `and` or `or` join comparisons, the
//! first comparison that held speaks for the finding.
//!
//! `{{value}}`, `{{threshold}}` and `{{instance}}` in the rule's message are filled in: numbers
//! with at most two decimals and no unit, so the message writes its own (`busy {{value}}%`,
//! `took {{value}} ms`; the finding's `unit` field has it too), the instance as its label value
//! when it has one label (`sda`), `key=value, ...` when it has several, `host` when it has none.

use std::cell::Cell;
use std::fmt;

use nom::{
    IResult, Parser,
    bytes::complete::{take_while, take_while1},
    character::complete::{char, digit1},
    combinator::{opt, recognize},
    error::{ErrorKind, ParseError},
    sequence::pair,
};
use regex::Regex;

use crate::base::parse_duration;
use crate::record::{Labels, Name, Unit};

/// A syntax error in an expression, pointing into the text. Displays as its message alone: the
/// caller knows where the expression sits in its file and turns `offset` into a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Byte offset into the expression where the problem was found.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// A parsed rule condition, with its optional `for` duration.
#[derive(Debug, Clone)]
pub struct Expr {
    pub condition: Cond,
    /// The `for` duration in seconds, when one was written.
    pub hold: Option<f64>,
}

impl Expr {
    /// The series the expression reads (`mpstat.busy`), in order of first mention, each once.
    /// Host facts are not series and are not listed.
    pub fn series_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for selector in self.selectors() {
            if !names.contains(&selector.name) {
                names.push(selector.name.clone());
            }
        }
        names
    }

    /// Every selector, in order of mention.
    pub fn selectors(&self) -> Vec<&Selector> {
        let mut found = Vec::new();
        self.condition
            .visit_values(&mut |value| value.collect_selectors(&mut found));
        found
    }

    /// Every host fact the expression reads.
    pub fn host_facts(&self) -> Vec<HostFact> {
        let mut found = Vec::new();
        self.condition
            .visit_values(&mut |value| value.collect_host_facts(&mut found));
        found
    }
}

/// Something true or false per instance and time.
#[derive(Debug, Clone)]
pub enum Cond {
    Compare(Comparison),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Any(Box<Cond>),
    All(Box<Cond>),
}

impl Cond {
    fn visit_values<'e>(&'e self, visit: &mut impl FnMut(&'e Value)) {
        match self {
            Cond::Compare(comparison) => {
                visit(&comparison.left);
                visit(&comparison.right);
            }
            Cond::And(left, right) | Cond::Or(left, right) => {
                left.visit_values(visit);
                right.visit_values(visit);
            }
            Cond::Any(inner) | Cond::All(inner) => inner.visit_values(visit),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Comparison {
    pub left: Value,
    pub op: CmpOp,
    pub right: Value,
    /// The comparison as written, for error messages.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }

    /// Equality allows for the rounding of values that went through a unit conversion.
    pub fn holds(self, left: f64, right: f64) -> bool {
        let equal = (left - right).abs() <= 1e-9 * left.abs().max(right.abs()).max(1.0);
        match self {
            CmpOp::Gt => left > right && !equal,
            CmpOp::Ge => left > right || equal,
            CmpOp::Lt => left < right && !equal,
            CmpOp::Le => left < right || equal,
            CmpOp::Eq => equal,
            CmpOp::Ne => !equal,
        }
    }

    /// The operator that says the same with its operands swapped (`a > b` is `b < a`).
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
        }
    }
}

/// A number per instance and time (or a constant).
#[derive(Debug, Clone)]
pub enum Value {
    /// A number as written, already scaled into `unit` (`100MiB` is 102400 KiB).
    Literal {
        value: f64,
        unit: Option<Unit>,
    },
    HostFact(HostFact),
    Series(Selector),
    /// An aggregate over time of series arithmetic: `avg(vmstat.si + vmstat.so)`.
    Aggregate {
        aggregate: Aggregate,
        of: Box<Value>,
        /// The aggregate as written, for messages.
        text: String,
    },
    Negate(Box<Value>),
    Arith {
        op: ArithOp,
        left: Box<Value>,
        right: Box<Value>,
        /// The operation as written, for error messages.
        text: String,
    },
}

impl Value {
    fn collect_selectors<'e>(&'e self, found: &mut Vec<&'e Selector>) {
        match self {
            Value::Series(selector) => found.push(selector),
            Value::Aggregate { of: inner, .. } | Value::Negate(inner) => {
                inner.collect_selectors(found)
            }
            Value::Arith { left, right, .. } => {
                left.collect_selectors(found);
                right.collect_selectors(found);
            }
            Value::Literal { .. } | Value::HostFact(_) => {}
        }
    }

    fn collect_host_facts(&self, found: &mut Vec<HostFact>) {
        match self {
            Value::HostFact(fact) => found.push(*fact),
            Value::Aggregate { of: inner, .. } | Value::Negate(inner) => {
                inner.collect_host_facts(found)
            }
            Value::Arith { left, right, .. } => {
                left.collect_host_facts(found);
                right.collect_host_facts(found);
            }
            Value::Literal { .. } | Value::Series(_) => {}
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostFact {
    Cpus,
    MemTotalKib,
}

impl HostFact {
    const ALL: [HostFact; 2] = [HostFact::Cpus, HostFact::MemTotalKib];

    /// The name after `host.`, as `Dataset::host_fact` knows it.
    pub fn name(self) -> &'static str {
        match self {
            HostFact::Cpus => "cpus",
            HostFact::MemTotalKib => "mem_total_kib",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            HostFact::Cpus => Unit::Count,
            HostFact::MemTotalKib => Unit::KiB,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }

    pub fn apply(self, left: f64, right: f64) -> f64 {
        match self {
            ArithOp::Add => left + right,
            ArithOp::Sub => left - right,
            ArithOp::Mul => left * right,
            ArithOp::Div => left / right,
        }
    }
}

/// How an aggregate reduces the samples of one instance (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Avg,
    Min,
    Max,
    Sum,
    Count,
    Last,
    Delta,
    Rate,
    /// Nearest-rank percentile, 1 to 99.
    Percentile(u8),
}

impl Aggregate {
    fn from_name(name: &str) -> Option<Aggregate> {
        let aggregate = match name {
            "avg" => Aggregate::Avg,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "sum" => Aggregate::Sum,
            "count" => Aggregate::Count,
            "last" => Aggregate::Last,
            "delta" => Aggregate::Delta,
            "rate" => Aggregate::Rate,
            _ => {
                let digits = name.strip_prefix('p')?;
                if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let rank: u8 = digits.parse().ok()?;
                return (1..=99)
                    .contains(&rank)
                    .then_some(Aggregate::Percentile(rank));
            }
        };
        Some(aggregate)
    }
}

impl fmt::Display for Aggregate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Aggregate::Avg => "avg",
            Aggregate::Min => "min",
            Aggregate::Max => "max",
            Aggregate::Sum => "sum",
            Aggregate::Count => "count",
            Aggregate::Last => "last",
            Aggregate::Delta => "delta",
            Aggregate::Rate => "rate",
            Aggregate::Percentile(rank) => return write!(f, "p{rank}"),
        };
        f.write_str(name)
    }
}

/// `mpstat.busy{cpu!="all"}`: a series name and conditions on the instance labels.
#[derive(Debug, Clone)]
pub struct Selector {
    /// `table.field`.
    pub name: String,
    pub matchers: Vec<LabelMatcher>,
}

impl Selector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.matchers.iter().all(|matcher| matcher.matches(labels))
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.matchers.is_empty() {
            return Ok(());
        }
        f.write_str("{")?;
        for (index, matcher) in self.matchers.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            let op = match matcher.op {
                MatchOp::Equal => "=",
                MatchOp::NotEqual => "!=",
                MatchOp::Regex(_) => "=~",
                MatchOp::NotRegex(_) => "!~",
            };
            write!(f, "{}{op}{:?}", matcher.label, matcher.value)?;
        }
        f.write_str("}")
    }
}

#[derive(Debug, Clone)]
pub struct LabelMatcher {
    pub label: String,
    /// The string as written (the pattern, for regular expressions).
    pub value: String,
    pub op: MatchOp,
}

#[derive(Debug, Clone)]
pub enum MatchOp {
    Equal,
    NotEqual,
    /// Anchored at both ends.
    Regex(Regex),
    NotRegex(Regex),
}

impl LabelMatcher {
    pub fn matches(&self, labels: &Labels) -> bool {
        let actual = labels.get(&self.label).map_or("", Name::as_str);
        match &self.op {
            MatchOp::Equal => actual == self.value,
            MatchOp::NotEqual => actual != self.value,
            MatchOp::Regex(regex) => regex.is_match(actual),
            MatchOp::NotRegex(regex) => !regex.is_match(actual),
        }
    }
}

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
    let grammar = Grammar {
        text,
        operators: Cell::new(0),
    };
    let start = skip_space(text);
    if start.is_empty() {
        return Err(ExprError {
            offset: text.len(),
            message: "empty expression: expected a condition like `avg(mpstat.busy) > 90%`".into(),
        });
    }
    let (rest, node) = finish(text, grammar.condition(start, 0))?;
    let rest = skip_space(rest);
    let (rest, hold) = match keyword(rest, "for") {
        Some(after) => {
            let (rest, hold) = finish(text, grammar.duration(after))?;
            (skip_space(rest), Some(hold))
        }
        None => (rest, None),
    };
    if !rest.is_empty() {
        if !node.is_condition() {
            return Err(grammar.comparison_expected(&node));
        }
        let message = if comparison_operator(rest).is_some() {
            "comparisons cannot be chained; join them with `and`".to_string()
        } else {
            format!(
                "expected `and`, `or`, `for DURATION` or the end of the expression, found {}",
                found(rest)
            )
        };
        return Err(ExprError {
            offset: grammar.at(rest),
            message,
        });
    }
    Ok(Expr {
        condition: grammar.typed_condition(node)?,
        hold,
    })
}

/// The error type of the nom parsers here and in `condition`: a message and where it applies
/// (as the length of the input left, which `finish` turns into an offset).
#[derive(Debug)]
pub(crate) struct SyntaxError {
    rest_len: usize,
    message: String,
}

impl SyntaxError {
    /// A committed error: no alternative is tried after it.
    pub(crate) fn at(rest: &str, message: impl Into<String>) -> nom::Err<SyntaxError> {
        nom::Err::Failure(SyntaxError {
            rest_len: rest.len(),
            message: message.into(),
        })
    }
}

impl<'a> ParseError<&'a str> for SyntaxError {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        SyntaxError {
            rest_len: input.len(),
            message: format!("unexpected {}", found(input)),
        }
    }

    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type Parsed<'a, T> = IResult<&'a str, T, SyntaxError>;

/// Turn a nom result into an [`ExprError`] with an offset into `text`.
pub(crate) fn finish<'a, T>(text: &str, result: Parsed<'a, T>) -> Result<(&'a str, T), ExprError> {
    result.map_err(|error| match error {
        nom::Err::Error(error) | nom::Err::Failure(error) => ExprError {
            offset: text.len().saturating_sub(error.rest_len),
            message: error.message,
        },
        nom::Err::Incomplete(_) => ExprError {
            offset: text.len(),
            message: "the expression ended too early".into(),
        },
    })
}

pub(crate) fn skip_space(input: &str) -> &str {
    input.trim_start_matches([' ', '\t', '\r', '\n'])
}

fn is_identifier_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn identifier(input: &str) -> Parsed<'_, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(is_identifier_char),
    ))
    .parse(input)
}

/// The input after `word` when it starts with `word` as a whole word.
pub(crate) fn keyword<'a>(input: &'a str, word: &str) -> Option<&'a str> {
    let rest = input.strip_prefix(word)?;
    (!rest.starts_with(is_identifier_char)).then_some(rest)
}

/// A string in single or double quotes; a backslash takes the next character as it is.
pub(crate) fn quoted(input: &str) -> Parsed<'_, String> {
    let quote = match input.chars().next() {
        Some(quote @ ('"' | '\'')) => quote,
        _ => {
            return Err(SyntaxError::at(
                input,
                format!("expected a quoted string, found {}", found(input)),
            ));
        }
    };
    let body = input.get(quote.len_utf8()..).unwrap_or("");
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((index, c)) = chars.next() {
        if c == quote {
            return Ok((body.get(index + c.len_utf8()..).unwrap_or(""), text));
        }
        if c == '\\' {
            match chars.next() {
                Some((_, escaped)) => text.push(escaped),
                None => break,
            }
        } else {
            text.push(c);
        }
    }
    Err(SyntaxError::at(
        input,
        format!("unterminated string: expected a closing {quote}"),
    ))
}

/// What the input holds next, for "found ..." in messages.
pub(crate) fn found(input: &str) -> String {
    let token: String = input
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(16)
        .collect();
    if token.is_empty() {
        "the end of the expression".to_string()
    } else {
        format!("`{token}`")
    }
}

fn comparison_operator(input: &str) -> Option<(&str, CmpOp)> {
    [
        (">=", CmpOp::Ge),
        ("<=", CmpOp::Le),
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ]
    .into_iter()
    .find_map(|(symbol, op)| input.strip_prefix(symbol).map(|rest| (rest, op)))
}

/// Parentheses, quantifiers and unary minus nest at most this deep.
const MAX_DEPTH: usize = 32;
/// Binary and unary operators per expression; keeps the tree (and every walk over it) shallow.
const MAX_OPERATORS: usize = 200;

const VALUE_EXPECTED: &str = "expected a value (a number like `90%`, `host.cpus`, a series like \
`mpstat.busy` or an aggregate like `avg(mpstat.busy)`)";

/// Untyped syntax tree: conditions and numbers are told apart after parsing, so that
/// `(a + b) > c` and `(a > b) and c > d` parse without backtracking.
struct Node {
    kind: Kind,
    start: usize,
    end: usize,
}

enum Kind {
    Literal(f64, Option<Unit>),
    Host(HostFact),
    Series(Selector),
    Aggregate(Aggregate, Box<Node>),
    Negate(Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Any(Box<Node>),
    All(Box<Node>),
}

impl Node {
    /// Whether this node or one inside it is of a kind.
    fn any(&self, test: &impl Fn(&Kind) -> bool) -> bool {
        test(&self.kind)
            || match &self.kind {
                Kind::Literal(..) | Kind::Host(_) | Kind::Series(_) => false,
                Kind::Aggregate(_, inner)
                | Kind::Negate(inner)
                | Kind::Any(inner)
                | Kind::All(inner) => inner.any(test),
                Kind::Arith(_, left, right)
                | Kind::Compare(_, left, right)
                | Kind::And(left, right)
                | Kind::Or(left, right) => left.any(test) || right.any(test),
            }
    }

    fn is_condition(&self) -> bool {
        matches!(
            self.kind,
            Kind::Compare(..) | Kind::And(..) | Kind::Or(..) | Kind::Any(_) | Kind::All(_)
        )
    }
}

/// Builds the node of a binary operator from its operands.
type MakeNode = fn(Box<Node>, Box<Node>) -> Kind;

struct Grammar<'t> {
    text: &'t str,
    operators: Cell<usize>,
}

impl<'t> Grammar<'t> {
    fn at(&self, rest: &str) -> usize {
        self.text.len().saturating_sub(rest.len())
    }

    fn snippet(&self, start: usize, end: usize) -> String {
        self.text.get(start..end).unwrap_or("").trim().to_string()
    }

    fn node(&self, kind: Kind, start: usize, rest: &str) -> Node {
        Node {
            kind,
            start,
            end: self.at(rest),
        }
    }

    fn count_operator(&self, at: &str) -> Result<(), nom::Err<SyntaxError>> {
        self.operators.set(self.operators.get() + 1);
        if self.operators.get() > MAX_OPERATORS {
            return Err(SyntaxError::at(
                at,
                format!("expression too long: more than {MAX_OPERATORS} operators"),
            ));
        }
        Ok(())
    }

    fn comparison_expected(&self, node: &Node) -> ExprError {
        let after = skip_space(self.text.get(node.end..).unwrap_or(""));
        ExprError {
            offset: self.at(after),
            message: format!(
                "expected a comparison like `> 90%` after `{}`",
                self.snippet(node.start, node.end)
            ),
        }
    }

    /// One level of left-associative binary operators.
    fn binary_level<'a>(
        &self,
        input: &'a str,
        depth: usize,
        operand: fn(&Self, &'a str, usize) -> Parsed<'a, Node>,
        operator: fn(&'a str) -> Option<(&'a str, MakeNode)>,
    ) -> Parsed<'a, Node> {
        let (mut rest, mut left) = operand(self, input, depth)?;
        while let Some((after, make)) = operator(skip_space(rest)) {
            self.count_operator(skip_space(rest))?;
            let (next, right) = operand(self, after, depth)?;
            let start = left.start;
            left = self.node(make(Box::new(left), Box::new(right)), start, next);
            rest = next;
        }
        Ok((rest, left))
    }

    fn condition<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        self.binary_level(input, depth, Self::conjunction, |rest| {
            keyword(rest, "or").map(|after| (after, Kind::Or as MakeNode))
        })
    }

    fn conjunction<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        self.binary_level(input, depth, Self::comparison, |rest| {
            keyword(rest, "and").map(|after| (after, Kind::And as MakeNode))
        })
    }

    fn comparison<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        let (rest, left) = self.sum(input, depth)?;
        let spaced = skip_space(rest);
        let Some((after, op)) = comparison_operator(spaced) else {
            if spaced.starts_with('=') && !spaced.starts_with("=~") {
                return Err(SyntaxError::at(spaced, "use `==` to test equality"));
            }
            return Ok((rest, left));
        };
        self.count_operator(spaced)?;
        let (rest, right) = self.sum(after, depth)?;
        let start = left.start;
        Ok((
            rest,
            self.node(
                Kind::Compare(op, Box::new(left), Box::new(right)),
                start,
                rest,
            ),
        ))
    }

    fn sum<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        self.binary_level(input, depth, Self::product, |rest| {
            let op = match rest.chars().next() {
                Some('+') => ArithOp::Add,
                Some('-') => ArithOp::Sub,
                _ => return None,
            };
            Some((rest.get(1..).unwrap_or(""), arith_maker(op)))
        })
    }

    fn product<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        self.binary_level(input, depth, Self::unary, |rest| {
            let op = match rest.chars().next() {
                Some('*') => ArithOp::Mul,
                Some('/') => ArithOp::Div,
                _ => return None,
            };
            Some((rest.get(1..).unwrap_or(""), arith_maker(op)))
        })
    }

    fn unary<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        let input = skip_space(input);
        match input.strip_prefix('-') {
            Some(after) => {
                self.count_operator(input)?;
                let start = self.at(input);
                let (rest, inner) = self.unary(after, depth + 1)?;
                Ok((rest, self.node(Kind::Negate(Box::new(inner)), start, rest)))
            }
            None => self.primary(input, depth),
        }
    }

    fn primary<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        let input = skip_space(input);
        if depth > MAX_DEPTH {
            return Err(SyntaxError::at(
                input,
                format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        let start = self.at(input);
        match input.chars().next() {
            Some('(') => {
                let after = input.get(1..).unwrap_or("");
                let (rest, inner) = self.condition(after, depth + 1)?;
                let rest = self.close(rest, start)?;
                Ok((rest, self.node(inner.kind, start, rest)))
            }
            Some(c) if c.is_ascii_digit() => self.number(input),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => self.named(input, depth),
            _ => Err(SyntaxError::at(
                input,
                format!("{VALUE_EXPECTED}, found {}", found(input)),
            )),
        }
    }

    /// Expect the `)` that closes the `(` at byte `open`.
    fn close<'a>(&self, rest: &'a str, open: usize) -> Result<&'a str, nom::Err<SyntaxError>> {
        let rest = skip_space(rest);
        rest.strip_prefix(')').ok_or_else(|| {
            SyntaxError::at(
                rest,
                format!(
                    "expected `)` to close the `(` at byte {open}, found {}",
                    found(rest)
                ),
            )
        })
    }

    fn number<'a>(&self, input: &'a str) -> Parsed<'a, Node> {
        let (after_digits, digits) =
            recognize(pair(digit1, opt(pair(char('.'), digit1)))).parse(input)?;
        let value: f64 = digits
            .parse()
            .ok()
            .filter(|value: &f64| value.is_finite())
            .ok_or_else(|| SyntaxError::at(input, format!("number `{digits}` is too large")))?;
        let (rest, unit_text) = unit_suffix(after_digits);
        let (scale, unit) = match unit_text {
            "" => (1.0, None),
            "%" => (1.0, Some(Unit::Percent)),
            "ns" => (1e-3, Some(Unit::Microseconds)),
            "us" | "µs" => (1.0, Some(Unit::Microseconds)),
            "ms" => (1.0, Some(Unit::Milliseconds)),
            "s" => (1.0, Some(Unit::Seconds)),
            "B" => (1.0, Some(Unit::Bytes)),
            "KiB" => (1.0, Some(Unit::KiB)),
            "MiB" => (1024.0, Some(Unit::KiB)),
            "GiB" => (1024.0 * 1024.0, Some(Unit::KiB)),
            "/s" => (1.0, Some(Unit::PerSecond)),
            "B/s" => (1.0, Some(Unit::BytesPerSecond)),
            "KiB/s" => (1.0, Some(Unit::KiBPerSecond)),
            "MiB/s" => (1024.0, Some(Unit::KiBPerSecond)),
            "GiB/s" => (1024.0 * 1024.0, Some(Unit::KiBPerSecond)),
            other => {
                return Err(SyntaxError::at(
                    after_digits,
                    format!(
                        "unknown unit `{other}`; units are %, ns, us, ms, s, B, KiB, MiB, GiB, \
                         /s, B/s, KiB/s, MiB/s, GiB/s"
                    ),
                ));
            }
        };
        let start = self.at(input);
        Ok((
            rest,
            self.node(Kind::Literal(value * scale, unit), start, rest),
        ))
    }

    /// A name: a function call, a host fact or a series selector.
    fn named<'a>(&self, input: &'a str, depth: usize) -> Parsed<'a, Node> {
        let start = self.at(input);
        let (after_name, name) = identifier(input)?;
        if let Some(after_paren) = skip_space(after_name).strip_prefix('(') {
            return self.call(input, name, after_paren, depth);
        }
        if let Some(after_dot) = after_name.strip_prefix('.') {
            if name == "host" {
                let (rest, fact) = host_fact(after_dot)?;
                return Ok((rest, self.node(Kind::Host(fact), start, rest)));
            }
            let (rest, selector) = self.selector(name, after_dot)?;
            return Ok((rest, self.node(Kind::Series(selector), start, rest)));
        }
        let message = if Aggregate::from_name(name).is_some() || matches!(name, "any" | "all") {
            format!("expected `(` after `{name}`")
        } else {
            format!("{VALUE_EXPECTED}, found `{name}`")
        };
        Err(SyntaxError::at(input, message))
    }

    fn call<'a>(
        &self,
        input: &'a str,
        name: &str,
        after_paren: &'a str,
        depth: usize,
    ) -> Parsed<'a, Node> {
        let start = self.at(input);
        let open = self.at(after_paren).saturating_sub(1);
        if matches!(name, "any" | "all") {
            let (rest, inner) = self.condition(after_paren, depth + 1)?;
            let rest = self.close(rest, open)?;
            let inner = Box::new(inner);
            let kind = if name == "any" {
                Kind::Any(inner)
            } else {
                Kind::All(inner)
            };
            return Ok((rest, self.node(kind, start, rest)));
        }
        let Some(aggregate) = Aggregate::from_name(name) else {
            return Err(SyntaxError::at(
                input,
                format!(
                    "unknown function `{name}`; expected avg, min, max, sum, count, last, delta, \
                     rate, a percentile like p95, any or all"
                ),
            ));
        };
        let argument = skip_space(after_paren);
        let (rest, inner) = self.sum(argument, depth + 1)?;
        let rest = self.close(rest, open)?;
        if !inner.any(&|kind| matches!(kind, Kind::Series(_))) {
            return Err(SyntaxError::at(
                argument,
                format!(
                    "expected a series like `mpstat.busy` inside `{name}(...)`, found {}",
                    found(argument)
                ),
            ));
        }
        if inner.any(&|kind| matches!(kind, Kind::Aggregate(..))) {
            return Err(SyntaxError::at(
                argument,
                format!(
                    "aggregates do not nest: `{name}(...)` takes series, numbers and host facts"
                ),
            ));
        }
        Ok((
            rest,
            self.node(Kind::Aggregate(aggregate, Box::new(inner)), start, rest),
        ))
    }

    /// The rest of a selector after `table.`.
    fn selector<'a>(&self, table: &str, after_dot: &'a str) -> Parsed<'a, Selector> {
        let (rest, field) = take_while1::<_, _, SyntaxError>(is_identifier_char)(after_dot)
            .map_err(|_| {
                SyntaxError::at(
                    after_dot,
                    format!(
                        "expected a field name after `{table}.`, found {}",
                        found(after_dot)
                    ),
                )
            })?;
        let name = format!("{table}.{field}");
        let Some(inside) = skip_space(rest).strip_prefix('{') else {
            return Ok((
                rest,
                Selector {
                    name,
                    matchers: Vec::new(),
                },
            ));
        };
        let (rest, matchers) = label_matchers(inside)?;
        Ok((rest, Selector { name, matchers }))
    }

    fn duration<'a>(&self, after_for: &'a str) -> Parsed<'a, f64> {
        let token_start = skip_space(after_for);
        let (rest, token) =
            take_while::<_, _, SyntaxError>(|c: char| c.is_ascii_alphanumeric() || c == '.')(
                token_start,
            )?;
        let seconds = parse_duration(token)
            .map_err(|message| SyntaxError::at(token_start, message))?
            .as_secs_f64();
        if seconds <= 0.0 {
            return Err(SyntaxError::at(
                token_start,
                "a `for` duration must be longer than zero",
            ));
        }
        Ok((rest, seconds))
    }

    fn typed_condition(&self, node: Node) -> Result<Cond, ExprError> {
        let boxed = |node: Box<Node>| self.typed_condition(*node).map(Box::new);
        match node.kind {
            Kind::Compare(op, left, right) => Ok(Cond::Compare(Comparison {
                left: self.typed_value(*left)?,
                op,
                right: self.typed_value(*right)?,
                text: self.snippet(node.start, node.end),
            })),
            Kind::And(left, right) => Ok(Cond::And(boxed(left)?, boxed(right)?)),
            Kind::Or(left, right) => Ok(Cond::Or(boxed(left)?, boxed(right)?)),
            Kind::Any(inner) => Ok(Cond::Any(boxed(inner)?)),
            Kind::All(inner) => Ok(Cond::All(boxed(inner)?)),
            _ => Err(self.comparison_expected(&node)),
        }
    }

    fn typed_value(&self, node: Node) -> Result<Value, ExprError> {
        let text = self.snippet(node.start, node.end);
        match node.kind {
            Kind::Literal(value, unit) => Ok(Value::Literal { value, unit }),
            Kind::Host(fact) => Ok(Value::HostFact(fact)),
            Kind::Series(selector) => Ok(Value::Series(selector)),
            Kind::Aggregate(aggregate, inner) => Ok(Value::Aggregate {
                aggregate,
                of: Box::new(self.typed_value(*inner)?),
                text,
            }),
            Kind::Negate(inner) => Ok(Value::Negate(Box::new(self.typed_value(*inner)?))),
            Kind::Arith(op, left, right) => Ok(Value::Arith {
                op,
                left: Box::new(self.typed_value(*left)?),
                right: Box::new(self.typed_value(*right)?),
                text,
            }),
            Kind::Compare(..) | Kind::And(..) | Kind::Or(..) | Kind::Any(_) | Kind::All(_) => {
                Err(ExprError {
                    offset: node.start,
                    message: format!("`{text}` is a condition (true or false), not a number"),
                })
            }
        }
    }
}

fn arith_maker(op: ArithOp) -> MakeNode {
    match op {
        ArithOp::Add => |l, r| Kind::Arith(ArithOp::Add, l, r),
        ArithOp::Sub => |l, r| Kind::Arith(ArithOp::Sub, l, r),
        ArithOp::Mul => |l, r| Kind::Arith(ArithOp::Mul, l, r),
        ArithOp::Div => |l, r| Kind::Arith(ArithOp::Div, l, r),
    }
}

/// Split a unit suffix off the text right after a number: `%`, letters, letters + `/s`, `/s`.
fn unit_suffix(input: &str) -> (&str, &str) {
    if let Some(rest) = input.strip_prefix('%') {
        return (rest, "%");
    }
    let letters = input
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(input.len());
    let per_second = input
        .get(letters..)
        .and_then(|after| after.strip_prefix("/s"))
        .is_some_and(|after| !after.starts_with(|c: char| is_identifier_char(c) || c == '.'));
    let length = if per_second { letters + 2 } else { letters };
    match (input.get(length..), input.get(..length)) {
        (Some(rest), Some(unit)) => (rest, unit),
        _ => (input, ""),
    }
}

fn host_fact(after_dot: &str) -> Parsed<'_, HostFact> {
    let known = || {
        HostFact::ALL
            .iter()
            .map(|fact| fact.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (rest, name) = identifier(after_dot).map_err(|_| {
        SyntaxError::at(
            after_dot,
            format!("expected a host fact after `host.` ({})", known()),
        )
    })?;
    let fact = HostFact::ALL
        .into_iter()
        .find(|fact| fact.name() == name)
        .ok_or_else(|| {
            SyntaxError::at(
                after_dot,
                format!("unknown host fact `{name}`; known: {}", known()),
            )
        })?;
    Ok((rest, fact))
}

/// `label op "value", ...}` after the opening `{`.
fn label_matchers(inside: &str) -> Parsed<'_, Vec<LabelMatcher>> {
    let mut matchers = Vec::new();
    let mut rest = skip_space(inside);
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((after, matchers));
        }
        let (after_label, label) = identifier(rest).map_err(|_| {
            SyntaxError::at(
                rest,
                format!(
                    "expected a label name like `cpu` or `}}`, found {}",
                    found(rest)
                ),
            )
        })?;
        let after_label = skip_space(after_label);
        let (after_op, symbol) = ["=~", "!~", "!=", "="]
            .into_iter()
            .find_map(|symbol| {
                after_label
                    .strip_prefix(symbol)
                    .map(|after| (after, symbol))
            })
            .ok_or_else(|| {
                SyntaxError::at(
                    after_label,
                    format!("expected `=`, `!=`, `=~` or `!~` after label `{label}`"),
                )
            })?;
        let value_at = skip_space(after_op);
        let (after_value, value) = quoted(value_at)?;
        let regex = || {
            crate::base::user_regex(&format!("^(?:{value})$")).map_err(|error| {
                let reason = error.to_string().replace('\n', " ");
                SyntaxError::at(
                    value_at,
                    format!("bad regular expression {value:?}: {reason}"),
                )
            })
        };
        let op = match symbol {
            "=~" => MatchOp::Regex(regex()?),
            "!~" => MatchOp::NotRegex(regex()?),
            "!=" => MatchOp::NotEqual,
            _ => MatchOp::Equal,
        };
        matchers.push(LabelMatcher {
            label: label.to_string(),
            value,
            op,
        });
        rest = skip_space(after_value);
        if let Some(after_comma) = rest.strip_prefix(',') {
            rest = skip_space(after_comma);
        } else if !rest.starts_with('}') {
            return Err(SyntaxError::at(
                rest,
                format!(
                    "expected `,` or `}}` after a label matcher, found {}",
                    found(rest)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Expr {
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

    /// The literal on the right of the only comparison.
    fn threshold(text: &str) -> (f64, Option<Unit>) {
        match parsed(text).condition {
            Cond::Compare(Comparison {
                right: Value::Literal { value, unit },
                ..
            }) => (value, unit),
            other => panic!("{text:?}: {other:?}"),
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
        let expr = parsed(
            "avg(vmstat.r) / host.cpus > 1.0 and vmstat.r > mpstat.busy + vmstat.r for 1m30s",
        );
        assert_eq!(expr.hold, Some(90.0));
        assert_eq!(expr.series_names(), vec!["vmstat.r", "mpstat.busy"]);
        assert_eq!(expr.host_facts(), vec![HostFact::Cpus]);
        assert_eq!(parsed("t.a > 1").hold, None);
        assert_eq!(parsed("t.a > 1 for 500ms").hold, Some(0.5));
    }

    #[test]
    fn numbers_take_units() {
        assert_eq!(threshold("t.a > 1.0"), (1.0, None));
        assert_eq!(threshold("t.a > 90%"), (90.0, Some(Unit::Percent)));
        assert_eq!(threshold("t.a > 20ms"), (20.0, Some(Unit::Milliseconds)));
        assert_eq!(threshold("t.a > 1.5s"), (1.5, Some(Unit::Seconds)));
        assert_eq!(threshold("t.a > 500us"), (500.0, Some(Unit::Microseconds)));
        assert_eq!(threshold("t.a > 500µs"), (500.0, Some(Unit::Microseconds)));
        assert_eq!(threshold("t.a > 100MiB"), (102400.0, Some(Unit::KiB)));
        assert_eq!(threshold("t.a > 10KiB"), (10.0, Some(Unit::KiB)));
        assert_eq!(
            threshold("t.a > 50MiB/s"),
            (51200.0, Some(Unit::KiBPerSecond))
        );
        assert_eq!(threshold("t.a > 1000/s"), (1000.0, Some(Unit::PerSecond)));
        assert_eq!(threshold("t.a > 10B/s"), (10.0, Some(Unit::BytesPerSecond)));
        // `/` followed by a name is a division, not a unit.
        assert!(matches!(
            parsed("t.a > 1000/s.b").condition,
            Cond::Compare(Comparison {
                right: Value::Arith {
                    op: ArithOp::Div,
                    ..
                },
                ..
            })
        ));
    }

    #[test]
    fn selectors_keep_their_matchers() {
        let expr = parsed(r#"t.a{cpu="0", dev!="x", name=~"sd.*", other!~'a\'b'} > 1"#);
        let selectors = expr.selectors();
        let [selector] = selectors.as_slice() else {
            panic!("one selector expected");
        };
        assert_eq!(
            selector.to_string(),
            r#"t.a{cpu="0",dev!="x",name=~"sd.*",other!~"a'b"}"#
        );
        let labels = |pairs: &[(&str, &str)]| -> Labels {
            pairs.iter().map(|&(k, v)| (k.into(), v.into())).collect()
        };
        assert!(selector.matches(&labels(&[("cpu", "0"), ("name", "sda")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "nvme0")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "xsda")])));
        assert!(!selector.matches(&labels(&[("cpu", "0"), ("name", "sda"), ("dev", "x")])));
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
                    let bytes: Vec<u8> =
                        (0..noise.next() % 4).map(|_| noise.next() as u8).collect();
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
}
