//! Property tests: whatever the input, the XHTML lessonpub writes parses as XML and holds no
//! script, no event handler and no remote reference.

use lessonpub::parse::Format;
use proptest::prelude::*;

use crate::common::checks::{chapter_xhtml, fragment_xhtml};

/// Pieces hostile and broken HTML is made of; concatenated at random.
fn piece() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js>",
        "<img src=x onerror=alert(1)>",
        "<img src=\"https://evil.example/a.png\" srcset=\"https://evil.example/b.png 2x\">",
        "<a href=\"javascript:alert(1)\">j</a>",
        "<a href=\" JaVaScRiPt:alert(1)\">j</a>",
        "<a href=\"vbscript:x\">v</a>",
        "<a href=\"data:text/html,<script>x</script>\">d</a>",
        "<a href=\"https://ok.example/?a=1&b=2\">ok</a>",
        "<iframe src=\"https://evil.example/\"></iframe>",
        "<object data=\"x.swf\"></object>",
        "<embed src=\"y.swf\">",
        "<form action=\"https://evil.example\"><input name=q>",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
        "<base href=\"https://evil.example/\">",
        "<link rel=stylesheet href=\"https://evil.example/a.css\">",
        "<svg onload=alert(1)><script>x</script></svg>",
        "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
        "<math display=block><mrow>t<msub><mi>a</mi></msub><mtext><b>b</b></mtext>",
        "<mfrac><mi>x</mi></mfrac>",
        "<maction actiontype=toggle><mi style=\"x\" class=c>y</mi></maction>",
        "$x_1$",
        "$$\\frac{a}{b}$$",
        "$$d=\\\\sqrt{x\\_{1}}$$",
        "$A$1",
        "$\\begin{array}{c} a \\\\ b \\end{array}$",
        "<p style=\"background:url(https://evil.example/)\">s</p>",
        "<style>@import url(https://evil.example/x.css);</style>",
        "<video poster=\"https://evil.example/p.jpg\">",
        "<audio src=\"https://evil.example/a.mp3\"></audio>",
        "<ul><li>a</li><br/><li>b</ul>",
        "<table><tr><td>t",
        "<pre><code>a &lt; b &amp;&amp; c</code></pre>",
        "<uuid>",
        "</num>",
        "<zone>",
        "&nbsp;",
        "&#8;",
        "&#x0;",
        "&#xD800;",
        "<!-- c -->",
        "<![CDATA[x]]>",
        "<div>",
        "</div>",
        "<span>",
        "<h2>",
        "<blockquote>",
        "<li>",
        "<ol start=x>",
        "<td colspan=0>",
        "\u{0}",
        "\u{8}",
        "\u{b}",
        "\u{fffe}",
        "\r",
        "\n",
        "💬",
        "👨\u{200d}🏫",
        "<p>段落</p>",
        "<br>",
        "<hr>",
        "<img>",
        "<img src=\"\">",
        "<img src=\"file:///etc/passwd\">",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+\">",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        3 => fixed,
        1 => any::<String>(),
        1 => "<[a-zA-Z]{1,8}( [a-z]{1,6}=\"[^\"]{0,12}\")?>",
        1 => "\\$\\$?[a-z0-9{}^_&\\\\ <]{0,24}\\$\\$?",
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..40).prop_map(|v| v.concat())
}

/// Checks every property of an XHTML document or fragment, with a readable failure.
fn check(xhtml: &str) -> Result<(), TestCaseError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(xhtml, options)
        .map_err(|e| TestCaseError::fail(format!("not XML ({e}):\n{xhtml}")))?;
    for node in doc.descendants().filter(|n| n.is_element()) {
        let name = node.tag_name().name();
        prop_assert!(
            !matches!(
                name,
                "script"
                    | "style"
                    | "iframe"
                    | "object"
                    | "embed"
                    | "form"
                    | "input"
                    | "base"
                    | "meta"
                    | "svg"
            ),
            "<{name}> in:\n{xhtml}"
        );
        let mathml = node.tag_name().namespace() == Some("http://www.w3.org/1998/Math/MathML");
        prop_assert!(
            mathml || !matches!(name, "math" | "mi" | "mo" | "mfrac" | "msub" | "mtext"),
            "<{name}> outside the MathML namespace in:\n{xhtml}"
        );
        for attr in node.attributes() {
            let value = attr.value().trim().to_ascii_lowercase();
            prop_assert!(
                !attr.name().starts_with("on"),
                "event handler {} in:\n{xhtml}",
                attr.name()
            );
            prop_assert!(
                !matches!(attr.name(), "style" | "srcset" | "poster"),
                "{} in:\n{xhtml}",
                attr.name()
            );
            if attr.name() == "src" {
                prop_assert!(
                    value.starts_with("img/") || value.starts_with("../images/"),
                    "src={value}"
                );
            }
            prop_assert!(
                !(mathml && matches!(attr.name(), "class" | "href" | "actiontype")),
                "{} on MathML in:\n{xhtml}",
                attr.name()
            );
            prop_assert!(
                attr.name() != "href" || matches!(name, "a" | "link"),
                "href on <{name}>"
            );
            if attr.name() == "href" && name == "a" {
                let ok = ["http://", "https://", "mailto:"]
                    .iter()
                    .any(|p| value.starts_with(p));
                prop_assert!(ok, "href={value}");
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn sanitized_fragments_are_safe_xml(html in soup()) {
        check(&fragment_xhtml(&html))?;
    }

    #[test]
    fn html_lessons_render_to_safe_xhtml(article in soup(), text in soup(), name in soup()) {
        let lesson = format!(
            "{article}\n<style>x</style><ul><li>\n<div class=\"_2sjJGcOH_0\"><img src=\"{name}\"\n  class=\"_3FLYR4bF_0\">\n<div class=\"_36ChpWj4_0\">\n  <div class=\"_2zFoi7sd_0\"><span>{name}</span>\n  </div>\n  <div class=\"_2_QraFYR_0\">{text}</div>\n  <div class=\"_10o3OAxT_0\">\n    <p class=\"_3KxQPN3V_0\">作者回复: {text}</p>\n  </div>\n</div>\n</div>\n</li>\n</ul>"
        );
        check(&chapter_xhtml(&lessonpub::text::clean(&lesson), Format::Html))?;
    }

    #[test]
    fn markdown_lessons_render_to_safe_xhtml(article in soup(), text in soup(), name in soup()) {
        let lesson = format!(
            "{article}\n<div><strong>精选留言（1）</strong></div><ul>\n<li><img src=\"{name}\" width=\"30px\"><span>{name}</span> 👍（1） 💬（0）<div>{text}</div>2019-01-01</li><br/>\n</ul>"
        );
        check(&chapter_xhtml(&lessonpub::text::clean(&lesson), Format::Markdown))?;
    }

    #[test]
    fn text_never_loses_its_characters(words in "[a-z0-9 <>&\"'\u{4e00}-\u{4e20}]{0,60}") {
        let escaped = words.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let out = fragment_xhtml(&format!("<p>{escaped}</p>"));
        let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
        let doc = roxmltree::Document::parse_with_options(&out, options).unwrap();
        let text: String = doc.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
        prop_assert_eq!(text, words);
    }
}
