//! The typed expression: conditions (true or false per instance and time) and values (a number
//! per instance and time), as the grammar and the typing make them from a rule's `when`.

use std::fmt;

use super::selector::Selector;
use crate::record::Unit;

/// A rule's `when`, typed, with its optional `for` duration and what it reads, found once when
/// it is compiled.
#[derive(Debug, Clone)]
pub struct Expr {
    pub condition: Cond,
    /// The `for` duration in seconds, when one was written.
    pub hold: Option<f64>,
    series: Vec<String>,
    host_facts: Vec<HostFact>,
}

impl Expr {
    pub(super) fn new(condition: Cond, hold: Option<f64>) -> Expr {
        let unread = Expr {
            condition,
            hold,
            series: Vec::new(),
            host_facts: Vec::new(),
        };
        let mut series: Vec<String> = Vec::new();
        for selector in unread.selectors() {
            if !series.contains(&selector.name) {
                series.push(selector.name.clone());
            }
        }
        let mut host_facts = Vec::new();
        unread
            .condition
            .visit_values(&mut |value| value.collect_host_facts(&mut host_facts));
        Expr {
            series,
            host_facts,
            ..unread
        }
    }

    /// The series the expression reads (`mpstat.busy`), in order of first mention, each once.
    /// Host facts are not series and are not listed.
    pub fn series_names(&self) -> &[String] {
        &self.series
    }

    /// Every selector, in order of mention.
    pub fn selectors(&self) -> Vec<&Selector> {
        let mut found = Vec::new();
        self.condition
            .visit_values(&mut |value| value.collect_selectors(&mut found));
        found
    }

    /// Every host fact the expression reads, in order of mention.
    pub(crate) fn host_facts(&self) -> &[HostFact] {
        &self.host_facts
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
    pub(crate) fn symbol(self) -> &'static str {
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
    pub(crate) fn swapped(self) -> CmpOp {
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
    pub(super) const ALL: [HostFact; 2] = [HostFact::Cpus, HostFact::MemTotalKib];

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
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }

    pub(crate) fn apply(self, left: f64, right: f64) -> f64 {
        match self {
            ArithOp::Add => left + right,
            ArithOp::Sub => left - right,
            ArithOp::Mul => left * right,
            ArithOp::Div => left / right,
        }
    }
}

/// How an aggregate reduces the samples of one instance (see [`crate::rules::eval`]).
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
    /// The aggregates `from_name` knows, for messages.
    pub(super) const KNOWN: &str =
        "avg, min, max, sum, count, last, delta, rate, a percentile like p95";

    pub(super) fn from_name(name: &str) -> Option<Aggregate> {
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
