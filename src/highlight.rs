//! Code blocks of a clean article -> one block per source line, highlighted in classes that
//! read in grey.
//!
//! Runs after `sanitize`, on its tree: every `<pre>` that holds only text (a `<code>` with a
//! `language-*` class, or none) becomes `<pre class="code"><code class="language-x"><span
//! class="line">…</span>…</code></pre>`. Each line is its own span, which `styles/book.css`
//! makes a block with a hanging indent, so a line the screen wraps is visibly a continuation;
//! its newline stays inside it, so an engine without CSS still shows a plain `<pre>`. A block
//! whose longest line is wider than `WIDE_COLUMNS` is marked `code-wide` and set smaller.
//!
//! Tokens are found by syntect's grammars (Sublime Text's, compiled in) and written as spans of
//! a few classes (`CLASSES`), never as colours: the palette is in `styles/book.css` and uses
//! weight, italics and shades of grey, which every e-ink screen shows. The language is the
//! code's info string (`language-go`), else guessed from the text (`guess_language`); a shell
//! session (`$ ` prompts) gets its commands highlighted and its output left plain. A `<pre>`
//! holding images or formulas is left as it is.

use std::sync::{LazyLock, OnceLock};

use syntect::easy::ScopeRangeIterator;
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

use crate::model::{Article, Element, Lesson, Node};

/// Longest line, in columns (a Chinese character takes two), that a 6" screen shows without
/// wrapping at the normal code size; wider blocks are set smaller.
pub const WIDE_COLUMNS: usize = 60;

/// Class of the `<pre>` of every code block, of one set smaller, and of each line.
pub const CODE_CLASS: &str = "code";
pub const WIDE_CLASS: &str = "code-wide";
pub const LINE_CLASS: &str = "line";
/// Class of a line of a shell session that is a command (after a prompt), not output.
pub const COMMAND_CLASS: &str = "line command";

/// The token classes written, each with the syntect scopes it covers (the first class whose
/// scope prefixes a token's innermost matching scope wins). `styles/book.css` styles each.
pub const CLASSES: &[(&str, &[&str])] = &[
    ("hl-comment", &["comment"]),
    ("hl-string", &["string", "constant.character.escape"]),
    (
        "hl-constant",
        &[
            "constant.numeric",
            "constant.language",
            "constant.character",
        ],
    ),
    (
        "hl-keyword",
        &[
            "keyword.control",
            "keyword.other",
            "keyword.declaration",
            "keyword.import",
            "storage",
            "support.function.builtin",
        ],
    ),
    (
        "hl-name",
        &[
            "entity.name.function",
            "entity.name.type",
            "entity.name.class",
            "entity.name.struct",
            "support.type",
            "entity.name.tag",
        ],
    ),
];

/// The class of a shell prompt (`$ `) before a command.
pub const PROMPT_CLASS: &str = "hl-prompt";

/// The grammars of the languages syntect knows (about 75), loaded when a build first needs one.
/// A build holds them only while its lessons are read, then drops them: loaded, and with the
/// regular expressions of the grammars linux-perf uses compiled, they take about 35 MB, which
/// would otherwise stay through the image stage, where memory peaks.
#[derive(Default)]
pub struct Highlighter(OnceLock<SyntaxSet>);

impl Highlighter {
    /// The lesson with every code block of its article rewritten.
    pub fn lesson(&self, mut lesson: Lesson) -> Lesson {
        // A written article was laid out before it was written.
        if let Article::Tree(nodes) = &mut lesson.article {
            self.article(nodes);
        }
        lesson
    }

    /// Rewrites every code block of an article tree.
    pub fn article(&self, nodes: &mut [Node]) {
        article(nodes, || {
            self.0.get_or_init(SyntaxSet::load_defaults_newlines)
        });
    }
}

/// Rewrites every code block of an article tree, with the grammars `syntaxes` gives (asked for
/// only when the article has a code block). The tree is walked without recursion.
fn article<'s>(nodes: &mut [Node], syntaxes: impl Fn() -> &'s SyntaxSet) {
    let mut open = vec![nodes.iter_mut()];
    while let Some(children) = open.last_mut() {
        match children.next() {
            None => {
                open.pop();
            }
            Some(Node::Element(element)) if element.tag == "pre" => {
                if let Some(block) = code_block(element, &syntaxes) {
                    *element = block;
                }
            }
            Some(Node::Element(element)) => open.push(element.children.iter_mut()),
            Some(Node::Text(_) | Node::Image(_)) => {}
        }
    }
}

/// The line-by-line form of one `<pre>`, or `None` to leave it as it is.
fn code_block<'s>(pre: &Element, syntaxes: &impl Fn() -> &'s SyntaxSet) -> Option<Element> {
    let (language, text) = code_text(pre)?;
    let text = text.strip_suffix('\n').unwrap_or(&text);
    let lines: Vec<&str> = text.split('\n').collect();
    let wide = lines.iter().any(|l| columns(l) > WIDE_COLUMNS);
    let mut code_attributes = Vec::new();
    if let Some(language) = &language {
        code_attributes.push(("class", format!("language-{language}")));
    }
    let class = if wide {
        format!("{CODE_CLASS} {WIDE_CLASS}")
    } else {
        CODE_CLASS.to_owned()
    };
    Some(Element {
        tag: "pre",
        attributes: vec![("class", class)],
        children: vec![Node::Element(Element {
            tag: "code",
            attributes: code_attributes,
            children: highlighted_lines(&lines, language.as_deref(), syntaxes()),
        })],
    })
}

/// The language named by a `<code>`'s class (`language-go` -> `go`) and the block's text, or
/// `None` when the block holds more than text (images, formulas), which a line split would
/// tear apart.
fn code_text(pre: &Element) -> Option<(Option<String>, String)> {
    let mut language = None;
    let mut text = String::new();
    let mut open = vec![pre.children.iter()];
    while let Some(children) = open.last_mut() {
        match children.next() {
            None => {
                open.pop();
            }
            Some(Node::Text(t)) => text.push_str(t),
            Some(Node::Image(_)) => return None,
            Some(Node::Element(el)) if el.tag == "br" => text.push('\n'),
            Some(Node::Element(el)) if el.tag == "math" => return None,
            Some(Node::Element(el)) => {
                if el.tag == "code" && language.is_none() {
                    language = el
                        .attributes
                        .iter()
                        .find(|(name, _)| *name == "class")
                        .and_then(|(_, class)| {
                            class
                                .split_whitespace()
                                .find_map(|c| c.strip_prefix("language-"))
                        })
                        .map(str::to_ascii_lowercase);
                }
                open.push(el.children.iter());
            }
        }
    }
    Some((language, text))
}

/// Display columns of a line: a wide (East Asian) character takes two, a tab four.
fn columns(line: &str) -> usize {
    line.chars()
        .map(|c| match c {
            '\t' => 4,
            '\u{1100}'..='\u{115F}'
            | '\u{2E80}'..='\u{A4CF}'
            | '\u{AC00}'..='\u{D7A3}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{FE30}'..='\u{FE4F}'
            | '\u{FF00}'..='\u{FF60}'
            | '\u{FFE0}'..='\u{FFE6}'
            | '\u{1F300}'..='\u{1FAFF}'
            | '\u{20000}'..='\u{3FFFD}' => 2,
            _ => 1,
        })
        .sum()
}

/// The scopes of `CLASSES`, parsed once.
static SCOPES: LazyLock<Vec<(&'static str, Vec<Scope>)>> = LazyLock::new(|| {
    CLASSES
        .iter()
        .map(|(class, scopes)| {
            let scopes = scopes
                .iter()
                .map(|s| Scope::new(s).expect("the class table holds valid scopes"))
                .collect();
            (*class, scopes)
        })
        .collect()
});

/// Info strings that name no language, or one syntect knows by another name.
fn syntax_for<'s>(language: &str, syntaxes: &'s SyntaxSet) -> Option<&'s SyntaxReference> {
    let token = match language {
        "plain" | "text" | "txt" | "plaintext" | "none" | "output" => return None,
        "shell" | "sh" | "zsh" | "console" | "shell-session" | "powershell" | "ps" => "bash",
        "golang" => "go",
        "js" => "javascript",
        "yml" => "yaml",
        "c++" => "cpp",
        other => other,
    };
    syntaxes.find_syntax_by_token(token)
}

/// Where the command of a line after a shell prompt starts: after `$ `, or after `# ` (a root
/// prompt) when a command follows, not words of a comment (`# 并发100个请求`).
fn prompt_len(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.starts_with("$ ") {
        return Some(indent + 2);
    }
    let command = trimmed.strip_prefix("# ")?;
    let looks_like_command = command
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || "./~".contains(c))
        && command.chars().all(|c| c < '\u{2E80}');
    looks_like_command.then_some(indent + 2)
}

/// The lines as `<span class="line">` nodes, highlighted as `language` (or the language the
/// text looks like).
fn highlighted_lines(lines: &[&str], language: Option<&str>, syntaxes: &SyntaxSet) -> Vec<Node> {
    let shell_like = matches!(
        language,
        None | Some("bash" | "shell" | "sh" | "console" | "shell-session" | "powershell" | "zsh")
    );
    let session = shell_like && lines.iter().any(|l| prompt_len(l).is_some());
    if session {
        return session_lines(lines, syntaxes);
    }
    let syntax = match language {
        Some(language) => syntax_for(language, syntaxes),
        None => guess_language(lines, syntaxes).and_then(|l| syntax_for(l, syntaxes)),
    };
    match syntax {
        Some(syntax) => {
            let mut state = ParseState::new(syntax);
            let mut stack = ScopeStack::new();
            lines
                .iter()
                .map(|line| {
                    let runs = tokens(line, &mut state, &mut stack, syntaxes);
                    line_node(runs, LINE_CLASS)
                })
                .collect()
        }
        None => lines
            .iter()
            .map(|line| line_node(vec![(None, format!("{line}\n"))], LINE_CLASS))
            .collect(),
    }
}

/// A shell session: each command (after its prompt) highlighted as shell on its own and marked
/// as a command, so it stands out from the output, which stays plain.
fn session_lines(lines: &[&str], syntaxes: &SyntaxSet) -> Vec<Node> {
    let bash = syntax_for("bash", syntaxes);
    lines
        .iter()
        .map(|line| match (prompt_len(line), bash) {
            (Some(len), Some(bash)) => {
                let mut parts = vec![(Some(PROMPT_CLASS), line[..len].to_owned())];
                let mut state = ParseState::new(bash);
                let mut stack = ScopeStack::new();
                parts.extend(tokens(&line[len..], &mut state, &mut stack, syntaxes));
                line_node(parts, COMMAND_CLASS)
            }
            _ if line.trim_start().starts_with('#') => {
                line_node(vec![(Some("hl-comment"), format!("{line}\n"))], LINE_CLASS)
            }
            _ => line_node(vec![(None, format!("{line}\n"))], LINE_CLASS),
        })
        .collect()
}

/// One line (its newline included) cut into runs of the same class; the parse state carries
/// over to the next line. A line the grammar fails on is left plain.
fn tokens(
    line: &str,
    state: &mut ParseState,
    stack: &mut ScopeStack,
    syntaxes: &SyntaxSet,
) -> Vec<(Option<&'static str>, String)> {
    let line = format!("{line}\n");
    let Ok(ops) = state.parse_line(&line, syntaxes) else {
        return vec![(None, line)];
    };
    let mut runs: Vec<(Option<&'static str>, String)> = Vec::new();
    for (range, op) in ScopeRangeIterator::new(&ops, &line) {
        if stack.apply(op).is_err() {
            return vec![(None, line)];
        }
        if range.is_empty() {
            continue;
        }
        let class = class_of(stack);
        let piece = &line[range];
        match runs.last_mut() {
            Some((last, text)) if *last == class => text.push_str(piece),
            _ => runs.push((class, piece.to_owned())),
        }
    }
    runs
}

/// The class of the innermost scope that has one.
fn class_of(stack: &ScopeStack) -> Option<&'static str> {
    stack.as_slice().iter().rev().find_map(|scope| {
        SCOPES.iter().find_map(|(class, prefixes)| {
            prefixes
                .iter()
                .any(|p| p.is_prefix_of(*scope))
                .then_some(*class)
        })
    })
}

fn line_node(runs: Vec<(Option<&'static str>, String)>, class: &str) -> Node {
    let children = runs
        .into_iter()
        .map(|(class, text)| match class {
            None => Node::Text(text),
            Some(class) => Node::Element(Element {
                tag: "span",
                attributes: vec![("class", class.to_owned())],
                children: vec![Node::Text(text)],
            }),
        })
        .collect();
    Node::Element(Element {
        tag: "span",
        attributes: vec![("class", class.to_owned())],
        children,
    })
}

/// The language a block without an info string is written in, when its text says so plainly:
/// a first line syntect recognises (`#!/bin/bash`, `<?xml`), or the marks of the languages
/// the columns teach. `None` (plain text) when nothing is sure: command output highlighted as
/// code reads worse than plain.
fn guess_language<'s>(lines: &[&str], syntaxes: &'s SyntaxSet) -> Option<&'s str> {
    let first = lines.iter().find(|l| !l.trim().is_empty())?.trim();
    if let Some(syntax) = syntaxes.find_syntax_by_first_line(first) {
        return syntax.file_extensions.first().map(String::as_str);
    }
    let text = lines.join("\n");
    let has = |marks: &[&str]| marks.iter().any(|m| text.contains(m));
    let starts = |marks: &[&str]| {
        lines.iter().any(|l| {
            let l = l.trim_start();
            marks.iter().any(|m| l.starts_with(m))
        })
    };
    if starts(&[
        "fn ",
        "pub fn ",
        "impl ",
        "use std::",
        "pub struct ",
        "#[derive(",
    ]) && has(&["{"])
    {
        Some("rust")
    } else if starts(&["func ", "package "]) && has(&["{"]) {
        Some("go")
    } else if starts(&["public class ", "public static ", "import java."]) {
        Some("java")
    } else if starts(&["def ", "class ", "from ", "import "]) && has(&[":\n", ":"]) {
        Some("python")
    } else if sql_statement(first) {
        Some("sql")
    } else {
        None
    }
}

/// Whether a line starts an SQL statement (`SELECT … FROM`, `CREATE TABLE`, in any case).
fn sql_statement(line: &str) -> bool {
    let upper = line.to_ascii_uppercase();
    let words: Vec<&str> = upper.split_whitespace().take(2).collect();
    match words.as_slice() {
        ["SELECT", ..] => upper.contains(" FROM ") || upper.ends_with(';'),
        ["INSERT", "INTO"] | ["DELETE", "FROM"] => true,
        ["UPDATE", _] => upper.contains(" SET "),
        ["CREATE" | "ALTER" | "DROP", kind] => {
            matches!(*kind, "TABLE" | "INDEX" | "VIEW" | "DATABASE" | "PROCEDURE")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xhtml::Writer;

    fn render(html: &str) -> String {
        let mut nodes = crate::sanitize::article(html);
        Highlighter::default().article(&mut nodes);
        let mut w = Writer::new();
        w.nodes(&nodes, "../");
        w.finish()
    }

    #[test]
    fn every_source_line_is_its_own_span_with_its_newline() {
        let out = render("<pre><code>a\n\nb\n</code></pre>");
        assert_eq!(
            out,
            "<pre class=\"code\"><code><span class=\"line\">a\n</span><span \
             class=\"line\">\n</span><span class=\"line\">b\n</span></code></pre>"
        );
    }

    #[test]
    fn a_block_with_a_line_wider_than_a_screen_is_marked_wide() {
        let narrow = "x".repeat(WIDE_COLUMNS);
        assert!(render(&format!("<pre>{narrow}</pre>")).starts_with("<pre class=\"code\">"));
        let wide = format!("<pre>{narrow}y</pre>");
        assert!(render(&wide).starts_with("<pre class=\"code code-wide\">"));
        // Chinese characters take two columns each.
        let chinese = format!("<pre>{}</pre>", "中".repeat(WIDE_COLUMNS / 2 + 1));
        assert!(render(&chinese).contains("code-wide"));
    }

    #[test]
    fn the_info_string_chooses_the_grammar_and_tokens_get_grey_classes() {
        let out = render(
            "<pre><code class=\"language-go\">// add\nfunc add(a int) int {\n\treturn a + 1 // one\n}</code></pre>",
        );
        assert!(out.contains("<code class=\"language-go\">"), "{out}");
        assert!(
            out.contains("<span class=\"hl-comment\">// add\n</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"hl-keyword\">return</span>"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"hl-constant\">1</span>"),
            "{out}"
        );
        assert!(out.contains("<span class=\"hl-name\">add</span>"), "{out}");
    }

    #[test]
    fn info_strings_are_read_in_any_case() {
        // What pulldown-cmark makes of a Markdown fence with the info string `Python`.
        let out = render("<pre><code class=\"language-Python\">import os\n</code></pre>");
        assert!(out.contains("language-python"), "{out}");
        assert!(
            out.contains("<span class=\"hl-keyword\">import</span>"),
            "{out}"
        );
    }

    #[test]
    fn a_shell_session_highlights_its_commands_and_leaves_output_plain() {
        let out = render(
            "<pre><code class=\"language-powershell\">$ mpstat -P ALL 5\n\
             Linux 4.15.0 (ubuntu) \t09/22/18 \t_x86_64_\t(2 CPU)\n</code></pre>",
        );
        assert!(
            out.contains("<span class=\"line command\"><span class=\"hl-prompt\">$ </span>mpstat"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"line\">Linux 4.15.0 (ubuntu)"),
            "{out}"
        );
    }

    #[test]
    fn in_a_shell_session_a_hash_line_is_a_root_prompt_or_a_comment() {
        let out =
            render("<pre><code># 并发100个请求\n# ab -c 100 http://x/\n$ ls\na b\n</code></pre>");
        assert!(
            out.contains("<span class=\"line\"><span class=\"hl-comment\"># 并发100个请求\n"),
            "{out}"
        );
        assert!(
            out.contains("<span class=\"line command\"><span class=\"hl-prompt\"># </span>ab"),
            "{out}"
        );
        assert!(out.contains("<span class=\"line\">a b\n</span>"), "{out}");
    }

    #[test]
    fn text_without_a_language_is_guessed_only_when_sure() {
        let syntaxes = SyntaxSet::load_defaults_newlines();
        let guess_language = |lines: &[&str]| guess_language(lines, &syntaxes).map(str::to_owned);
        let some = |language: &str| Some(language.to_owned());
        assert_eq!(guess_language(&["SELECT name FROM heros;"]), some("sql"));
        assert_eq!(guess_language(&["fn main() {", "}"]), some("rust"));
        assert_eq!(guess_language(&["#!/bin/bash", "ls"]), some("sh"));
        assert_eq!(
            guess_language(&["%Cpu(s):  0.3 us,  0.3 sy", "KiB Mem :  8169348 total"]),
            None
        );
        assert_eq!(guess_language(&["select the best tool"]), None);
        let out = render("<pre><code>total 0\ndrwxr-xr-x 2 root</code></pre>");
        assert!(!out.contains("hl-"), "{out}");
    }

    #[test]
    fn plain_info_strings_are_not_highlighted() {
        let out = render("<pre><code class=\"language-plain\">if x then \"y\"</code></pre>");
        assert!(out.contains("language-plain"));
        assert!(!out.contains("hl-"), "{out}");
    }

    #[test]
    fn text_stays_escaped_and_complete() {
        let source = "if a < b && c > \"d\" { e(); } // <x>";
        let out = render(&format!(
            "<pre><code class=\"language-rust\">{}</code></pre>",
            crate::xhtml::escape(source)
        ));
        roxmltree::Document::parse(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        let doc = roxmltree::Document::parse(&out).unwrap();
        let text: String = doc
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(text, format!("{source}\n"));
    }

    #[test]
    fn blocks_holding_images_or_formulas_are_left_alone() {
        let html = "<pre>a<img src=\"https://x/1.png\">b</pre><pre><math><mi>x</mi></math></pre>";
        let mut nodes = crate::sanitize::article(html);
        let before = nodes.clone();
        Highlighter::default().article(&mut nodes);
        assert_eq!(nodes, before);
    }

    #[test]
    fn code_outside_pre_and_classes_other_than_a_language_are_untouched() {
        let out = render("<p><code class=\"x language-go\">a</code></p>");
        assert_eq!(out, "<p><code class=\"language-go\">a</code></p>");
    }
}
