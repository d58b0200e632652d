//! TeX formulas -> MathML, which EPUB 3 readers typeset; the TeX goes along as `alttext` for
//! readers that cannot.
//!
//! pulldown-latex does the conversion. Its MathML is HTML (an unescaped `<` in `<mo>`, `&nbsp;`),
//! not XML: it becomes part of the article and is parsed and cleaned like the rest of it.

use std::borrow::Cow;
use std::sync::LazyLock;

use pulldown_latex::config::DisplayMode;
use pulldown_latex::{Parser, RenderConfig, Storage, push_mathml};
use regex::Regex;

/// The formula `tex` as a `<math>` element (set on its own line when `display`), or, when it
/// cannot be converted, the reason.
///
/// Markdown savers often escape the TeX itself (`\\frac`, `x\_{1}`); such a formula is read
/// with the escapes undone, and as written if that fails.
pub(super) fn to_mathml(tex: &str, display: bool) -> Result<String, String> {
    let unescaped = unescape_markdown(tex);
    let mut tried = convert(unescaped.trim(), display);
    if tried.is_err() && matches!(unescaped, Cow::Owned(_)) {
        tried = convert(tex.trim(), display).or(tried);
    }
    tried
}

fn convert(tex: &str, display: bool) -> Result<String, String> {
    // pulldown-latex 0.8.0 fails an assertion (panics) on some formulas that define macros, and
    // an article's formulas have no business defining any.
    static DEFINITION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\\(?:def|let|futurelet|newcommand|renewcommand|providecommand)\b")
            .expect("valid regex")
    });
    if tex.is_empty() {
        return Err("the formula is empty".to_owned());
    }
    if let Some(definition) = DEFINITION.find(tex) {
        return Err(format!(
            "it defines a macro with `{}`, which is not supported",
            definition.as_str()
        ));
    }
    let storage = Storage::new();
    let events: Vec<_> = Parser::new(tex, &storage).collect();
    if let Some(error) = events.iter().find_map(|e| e.as_ref().err()) {
        // The first line says what is wrong; the rest draws the formula with a marker under it.
        let message = error.to_string();
        let first = message.lines().next().unwrap_or_default();
        return Err(first.trim_start_matches("parsing error: ").to_owned());
    }
    let config = RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        ..RenderConfig::default()
    };
    let mut mathml = String::new();
    push_mathml(&mut mathml, events.into_iter(), config).map_err(|e| e.to_string())?;
    let Some(rest) = mathml.strip_prefix("<math") else {
        return Err("the converter wrote no <math> element".to_owned());
    };
    let mut alttext = String::with_capacity(tex.len());
    for c in tex.chars() {
        match c {
            '&' => alttext.push_str("&amp;"),
            '<' => alttext.push_str("&lt;"),
            '>' => alttext.push_str("&gt;"),
            '"' => alttext.push_str("&quot;"),
            c => alttext.push(c),
        }
    }
    Ok(format!("<math alttext=\"{alttext}\"{rest}"))
}

/// `tex` with Markdown's backslash escapes undone, when it reads as TeX that a Markdown saver
/// escaped: every command written with a doubled backslash (`\\frac`) or an escaped underscore
/// (`x\_{1}`), and no command written with a single one. Other TeX is returned as it is (in TeX,
/// `\\` ends a row and `\_` is an underscore).
fn unescape_markdown(tex: &str) -> Cow<'_, str> {
    let bytes = tex.as_bytes();
    let (mut doubled, mut single, mut escaped) = (0, 0, 0);
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match bytes[i + 1] {
            b'\\' if bytes.get(i + 2).is_some_and(u8::is_ascii_alphabetic) => doubled += 1,
            b'_' | b'*' => escaped += 1,
            c if c.is_ascii_alphabetic() => single += 1,
            _ => {}
        }
        i += 2;
    }
    if single > 0 || doubled + escaped == 0 {
        return Cow::Borrowed(tex);
    }
    let mut out = String::with_capacity(tex.len());
    let mut chars = tex.chars().peekable();
    while let Some(c) = chars.next() {
        match chars.peek() {
            Some(&next) if c == '\\' && next.is_ascii_punctuation() => {
                out.push(next);
                chars.next();
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_columns_write_converts() {
        let distance = to_mathml(r"d=\sqrt{(x_1-x_2)^2+(y_1-y_2)^2}", true).unwrap();
        assert!(
            distance.starts_with(
                "<math alttext=\"d=\\sqrt{(x_1-x_2)^2+(y_1-y_2)^2}\" display=\"block\">"
            ),
            "{distance}"
        );
        assert!(distance.contains("<msqrt>") && distance.contains("<msub><mi>x</mi><mn>1</mn>"));
        let matrix = to_mathml(
            "\\left[\\begin{array}{cc}\n1 & 2 \\\\\n3 & 4\n\\end{array}\\right]",
            true,
        )
        .unwrap();
        assert_eq!(matrix.matches("<mtr>").count(), 2, "{matrix}");
        let sum = to_mathml(r"\sum_{i=1}^{n} \frac{a_i}{2}", false).unwrap();
        assert!(sum.contains("∑") && sum.contains("<mfrac>") && sum.contains("display=\"inline\""));
        let words = to_mathml(r"\text{速度}=\frac{\text{路程}}{\text{时间}}", false).unwrap();
        assert!(words.contains("<mtext>速度</mtext>"), "{words}");
    }

    #[test]
    fn tex_that_a_markdown_saver_escaped_is_read_unescaped() {
        assert_eq!(
            unescape_markdown(r"d=\\sqrt{(x\_{1}-x\_{2})^2}"),
            r"d=\sqrt{(x_{1}-x_{2})^2}"
        );
        assert_eq!(
            unescape_markdown(r"\\begin{array}{cc} a & b \\\\ c & d \\end{array}"),
            r"\begin{array}{cc} a & b \\ c & d \end{array}"
        );
        assert_eq!(unescape_markdown(r"x\_{1} + \\{y\\}"), r"x_{1} + \{y\}");
        let escaped = to_mathml(r"\\frac{1}{x\_{1}}", false).unwrap();
        assert!(escaped.contains("<mfrac>") && escaped.contains("alttext=\"\\frac{1}{x_{1}}\""));
    }

    #[test]
    fn tex_as_tex_is_left_alone() {
        for tex in [
            r"\begin{array}{c} a \\ b \end{array}",
            r"a \\ b",
            r"\frac{a\_b}{2}",
            r"x^2",
        ] {
            assert!(matches!(unescape_markdown(tex), Cow::Borrowed(_)), "{tex}");
        }
        // Read unescaped, `\\b` would be `\b`, which is no command: read as written instead.
        assert!(to_mathml(r"\begin{matrix} a \\b \end{matrix}", false).is_ok());
    }

    #[test]
    fn what_cannot_be_converted_says_why() {
        assert_eq!(
            to_mathml(r"\frac{a}{", false),
            Err("unbalanced group found, expected it to be closed with `}`".to_owned())
        );
        assert!(to_mathml(r"\nosuchcommand x", true).is_err());
        assert!(to_mathml("  ", true).is_err());
        // Found by fuzzing: this panics inside pulldown-latex 0.8.0.
        let crash = r"\newcommand{\b}[1]{#1#1}\newcommand{\b}[1]{#1#1}_\\}\b{\b{\b{x}}}\hline";
        assert_eq!(
            to_mathml(crash, false),
            Err("it defines a macro with `\\newcommand`, which is not supported".to_owned())
        );
        assert!(to_mathml(r"\\def\\a{x}", false).is_err(), "escaped too");
        assert!(to_mathml(r"\left\lbrace x \right.", false).is_ok());
    }

    #[test]
    fn alttext_is_escaped_for_the_attribute() {
        let out = to_mathml(r#"a<b \text{"q"} \& c"#, false).unwrap();
        assert!(
            out.starts_with("<math alttext=\"a&lt;b \\text{&quot;q&quot;} \\&amp; c\""),
            "{out}"
        );
    }
}
