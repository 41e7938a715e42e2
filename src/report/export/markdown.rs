//! The technical report in Markdown, rendered by a Handlebars template: the shipped one
//! (templates/technical.md.hbs) or a user's (`--template`).

use std::io::Write;

use handlebars::Handlebars;

use super::{Document, ExportError, Exporter};
use crate::rules::eval::format_number;

/// The technical report template shipped with perf_manual (templates/technical.md.hbs).
pub(crate) const TECHNICAL_TEMPLATE: &str = include_str!("../../../templates/technical.md.hbs");

pub(crate) struct Markdown {
    template: String,
}

impl Markdown {
    /// With a user's template text, or the shipped one.
    pub fn new(template: Option<String>) -> Markdown {
        Markdown {
            template: template.unwrap_or_else(|| TECHNICAL_TEMPLATE.to_string()),
        }
    }
}

impl Exporter for Markdown {
    fn extension(&self) -> &'static str {
        "md"
    }

    /// Nothing is HTML-escaped: the output is Markdown.
    fn export(&self, document: &Document<'_>, out: &mut dyn Write) -> Result<(), ExportError> {
        let mut handlebars = registry(handlebars::no_escape).map_err(ExportError::Template)?;
        handlebars
            .register_template_string("report", &self.template)
            .map_err(|err| ExportError::Template(format!("bad template: {err}")))?;
        let text = handlebars
            .render("report", document.report)
            .map_err(|err| ExportError::Template(format!("cannot render the report: {err}")))?;
        out.write_all(text.as_bytes())?;
        Ok(())
    }
}

/// One USE table cell: `{{> cell utilization}}`.
const CELL_PARTIAL: &str = "{{#if (eq status \"finding\")}}**{{upper severity}}** {{detail}}{{else if (eq status \"ok\")}}ok{{#if detail}} ({{detail}}){{/if}}{{else if (eq status \"no_data\")}}no data{{else}}–{{/if}}";

/// The helpers and partials every report template may use, with `escape` applied to what
/// `{{value}}` prints.
pub(super) fn registry(escape: fn(&str) -> String) -> Result<Handlebars<'static>, String> {
    let mut handlebars = Handlebars::new();
    handlebars.register_escape_fn(escape);
    handlebars.set_strict_mode(false);
    handlebars.register_helper("fmt", Box::new(format_json_number));
    handlebars.register_helper("upper", Box::new(upper));
    handlebars.register_helper("inc", Box::new(increment));
    handlebars
        .register_partial("cell", CELL_PARTIAL)
        .map_err(|err| format!("bad partial: {err}"))?;
    Ok(handlebars)
}

// `{{fmt value}}`: a number as findings print theirs (rules::eval::format_number); anything
// else as it is.
handlebars::handlebars_helper!(format_json_number: |value: Json| match value.as_f64() {
    Some(number) => format_number(number),
    None => value.as_str().map_or_else(|| value.to_string(), String::from),
});

// `{{inc @index}}`: numbering from one.
handlebars::handlebars_helper!(increment: |index: u64| index + 1);

// `{{upper severity}}`.
handlebars::handlebars_helper!(upper: |text: str| text.to_uppercase());
