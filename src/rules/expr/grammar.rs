//! The grammar (nom): expression text to an untyped tree, with errors that point. Conditions
//! and numbers are told apart afterwards, by [`super::typing`].

use std::cell::Cell;

use super::ast::{Aggregate, ArithOp, CmpOp, HostFact};
use super::error::{ExprError, Parsed, SyntaxError, finish, found};
use super::lex::{comparison_operator, identifier, keyword, skip_space};
use super::literal::{duration, number};
use super::selector::{Selector, selector};
use crate::record::Unit;

/// Parentheses, quantifiers and unary minus nest at most this deep.
const MAX_DEPTH: usize = 32;
/// Binary and unary operators per expression; keeps the tree (and every walk over it) shallow.
const MAX_OPERATORS: usize = 200;

pub(super) const VALUE_EXPECTED: &str = "expected a value (a number like `90%`, `host.cpus`, a series like \
`mpstat.busy` or an aggregate like `avg(mpstat.busy)`)";

/// Parse `condition [ "for" duration ]`, the whole of a rule's `when`: its untyped tree and
/// its `for` duration in seconds. Never panics; rejects anything after the expression.
pub(super) fn parse(text: &str) -> Result<(Node, Option<f64>), ExprError> {
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
            let (rest, hold) = finish(text, duration(after))?;
            (skip_space(rest), Some(hold))
        }
        None => (rest, None),
    };
    if !rest.is_empty() {
        if !node.is_condition() {
            return Err(node.comparison_expected(text));
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
    Ok((node, hold))
}

/// Untyped syntax tree: conditions and numbers are told apart after parsing, so that
/// `(a + b) > c` and `(a > b) and c > d` parse without backtracking.
pub(super) struct Node {
    pub(super) kind: Kind,
    pub(super) start: usize,
    pub(super) end: usize,
}

pub(super) enum Kind {
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

    /// The error for a number where a condition belongs.
    pub(super) fn comparison_expected(&self, text: &str) -> ExprError {
        let after = skip_space(text.get(self.end..).unwrap_or(""));
        ExprError {
            offset: text.len().saturating_sub(after.len()),
            message: format!(
                "expected a comparison like `> 90%` after `{}`",
                snippet(text, self.start, self.end)
            ),
        }
    }
}

/// The text from `start` to `end` as written, for messages.
pub(super) fn snippet(text: &str, start: usize, end: usize) -> String {
    text.get(start..end).unwrap_or("").trim().to_string()
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
        let (rest, (value, unit)) = number(input)?;
        let start = self.at(input);
        Ok((rest, self.node(Kind::Literal(value, unit), start, rest)))
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
            let (rest, selector) = selector(name, after_dot)?;
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
                    "unknown function `{name}`; expected {}, any or all",
                    Aggregate::KNOWN
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
}

fn arith_maker(op: ArithOp) -> MakeNode {
    match op {
        ArithOp::Add => |l, r| Kind::Arith(ArithOp::Add, l, r),
        ArithOp::Sub => |l, r| Kind::Arith(ArithOp::Sub, l, r),
        ArithOp::Mul => |l, r| Kind::Arith(ArithOp::Mul, l, r),
        ArithOp::Div => |l, r| Kind::Arith(ArithOp::Div, l, r),
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
