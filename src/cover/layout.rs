//! Setting a title and an author's name in the cover's text area: cleaning the text, breaking
//! it into lines where Chinese and Latin typesetting allow, and choosing the size and line count
//! that read best. Nothing here draws: the result is lines of text and a size in pixels per em.

use ab_glyph::{Font, FontRef};

use crate::text::is_visible;

/// Title sizes, in pixels per em. Above `TITLE_READABLE_EM` a title takes at most
/// `TITLE_MAX_LINES` lines; only titles that cannot fit so shrink further, with more lines.
const TITLE_MAX_EM: f32 = 150.0;
const TITLE_READABLE_EM: f32 = 56.0;
const TITLE_MIN_EM: f32 = 20.0;
const TITLE_MAX_LINES: usize = 5;
/// Longer titles are cut (with an ellipsis) before layout, which bounds its cost and keeps
/// `TITLE_MIN_EM` always enough.
const TITLE_MAX_CHARS: usize = 200;
/// Baseline-to-baseline distance in ems: CJK text needs more air than Latin.
pub(super) const LINE_HEIGHT: f32 = 1.28;

const AUTHOR_MAX_EM: f32 = 50.0;
const AUTHOR_MIN_EM: f32 = 28.0;

pub(super) fn units_per_em(font: &FontRef<'_>) -> f32 {
    font.units_per_em().unwrap_or(1000.0)
}

/// Advance widths, in ems, of the characters a title is made of.
pub(super) struct Metrics<'f> {
    font: &'f FontRef<'static>,
    units: f32,
}

impl<'f> Metrics<'f> {
    pub(super) fn new(font: &'f FontRef<'static>) -> Self {
        Metrics {
            font,
            units: units_per_em(font),
        }
    }

    fn char_width(&self, c: char) -> f32 {
        self.font.h_advance_unscaled(self.font.glyph_id(c)) / self.units
    }

    pub(super) fn width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.char_width(c)).sum()
    }
}

/// The title with runs of whitespace made one space and characters that show nothing (see
/// `text::is_visible`) dropped: the font has no glyph for most of them and would draw a box. Cut to
/// `TITLE_MAX_CHARS`.
pub(super) fn clean(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| word.chars().filter(|&c| is_visible(c)).collect())
        .filter(|word: &String| !word.is_empty())
        .collect();
    let mut out = words.join(" ");
    if out.chars().count() > TITLE_MAX_CHARS {
        out = out.chars().take(TITLE_MAX_CHARS - 1).collect();
        out.push('…');
    }
    out
}

/// A title set in lines at one size.
#[derive(Debug)]
pub(super) struct TitleLayout {
    pub(super) em: f32,
    pub(super) lines: Vec<String>,
}

impl TitleLayout {
    /// From the top of the first line's em box to the bottom of the last's.
    pub(super) fn height(&self) -> f32 {
        if self.lines.is_empty() {
            0.0
        } else {
            ((self.lines.len() - 1) as f32 * LINE_HEIGHT + 1.0) * self.em
        }
    }
}

/// A smaller size is taken when it saves a line and is at least this fraction of the largest
/// size that fits: "Linux性能 / 优化实战" at 146 px reads better than "Linux / 性能优 / 化实战" at
/// 150 px.
const FEWER_LINES_RATIO: f32 = 0.88;

/// The best setting of `title` in `width` × `height` pixels: as large as fits, within
/// `FEWER_LINES_RATIO` of which the fewest lines, first on at most `TITLE_MAX_LINES` lines at a
/// readable size, breaking only where a line may break; then breaking inside over-long words too;
/// then smaller and on as many lines as fit.
pub(super) fn fit_title(
    metrics: &Metrics<'_>,
    title: &str,
    width: f32,
    height: f32,
) -> TitleLayout {
    let whole = pieces(metrics, title);
    let space = metrics.char_width(' ');
    let sizes = |from: f32, to: f32| {
        let steps = ((from - to) / 2.0).round() as usize;
        (0..=steps).map(move |i| from - 2.0 * i as f32)
    };
    let passes = [
        (false, TITLE_MAX_EM, TITLE_READABLE_EM, TITLE_MAX_LINES),
        (true, TITLE_MAX_EM, TITLE_READABLE_EM, TITLE_MAX_LINES),
        (true, TITLE_READABLE_EM, TITLE_MIN_EM, usize::MAX),
    ];
    for (split, from, to, max_lines) in passes {
        // Every size that fits, largest first, with its line count.
        let fits: Vec<(f32, usize)> = sizes(from, to)
            .filter_map(|em| {
                let pieces = if split {
                    split_oversized(metrics, &whole, width / em)
                } else {
                    whole.clone()
                };
                let count = line_count(&pieces, space, width / em)?;
                let height_needed = (count.saturating_sub(1) as f32 * LINE_HEIGHT + 1.0) * em;
                (count <= max_lines && height_needed <= height).then_some((em, count))
            })
            .collect();
        let Some(&(largest, _)) = fits.first() else {
            continue;
        };
        let near = || {
            fits.iter()
                .filter(|(em, _)| *em >= FEWER_LINES_RATIO * largest)
        };
        let fewest = near().map(|&(_, count)| count).min().unwrap_or(0);
        let (em, count) = near()
            .find(|&&(_, count)| count == fewest)
            .copied()
            .unwrap_or(fits[0]);
        let pieces = if split {
            split_oversized(metrics, &whole, width / em)
        } else {
            whole
        };
        return TitleLayout {
            em,
            lines: balanced_lines(&pieces, space, width / em, count),
        };
    }
    // Unreachable for titles cut to TITLE_MAX_CHARS; if it ever is, keep the lines that fit.
    let max = width / TITLE_MIN_EM;
    let pieces = split_oversized(metrics, &whole, max);
    let count = line_count(&pieces, space, max).unwrap_or(0);
    let mut lines = balanced_lines(&pieces, space, max, count);
    let fitting = ((height / TITLE_MIN_EM - 1.0) / LINE_HEIGHT + 1.0).max(0.0) as usize;
    lines.truncate(fitting);
    TitleLayout {
        em: TITLE_MIN_EM,
        lines,
    }
}

/// The author's name on one line: as large as fits up to `AUTHOR_MAX_EM`, cut short with an
/// ellipsis if even `AUTHOR_MIN_EM` is too wide.
pub(super) fn fit_author(metrics: &Metrics<'_>, name: &str, width: f32) -> (String, f32) {
    let natural = metrics.width(name);
    if natural * AUTHOR_MIN_EM <= width {
        let em = (width / natural.max(f32::EPSILON)).min(AUTHOR_MAX_EM);
        return (name.to_string(), em);
    }
    let mut cut = String::new();
    let budget = width / AUTHOR_MIN_EM - metrics.char_width('…');
    let mut used = 0.0;
    for c in name.chars() {
        used += metrics.char_width(c);
        if used > budget {
            break;
        }
        cut.push(c);
    }
    cut.push('…');
    (cut, AUTHOR_MIN_EM)
}

/// An unbreakable run of a title: one CJK character or one Latin word, with any punctuation that
/// must not start a line glued to its end and any that must not end one glued to its start.
#[derive(Debug, Clone)]
struct Piece {
    text: String,
    /// Advance width in ems.
    width: f32,
    /// Whether a space separates it from the previous piece (dropped where a line breaks).
    space_before: bool,
    /// Whether a line break before it falls between two CJK characters, likely inside a word:
    /// allowed, but a break at a space or between scripts reads better.
    soft: bool,
}

/// Whether `c` is set like a Han character: wide, and a line may break on either side of it.
fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{303F}' // radicals, Kangxi, CJK symbols and punctuation
        | '\u{3040}'..='\u{9FFF}' // kana, bopomofo, ..., CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}' // Hangul
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{FE30}'..='\u{FE4F}' // CJK compatibility forms
        | '\u{FF00}'..='\u{FFEF}' // halfwidth and fullwidth forms
        | '\u{20000}'..='\u{3FFFF}' // ideographs, extensions B on
    )
}

/// Punctuation that must not begin a line (Chinese typesetting's 行首禁则, and Latin's).
fn no_line_start(c: char) -> bool {
    "，。、：；！？）》」』】〕〉〗”’…—–·・‧•｜％,.:;!?)]}%|".contains(c)
}

/// Separators between a title and its subtitle ("Rust实战 · 手写…"): a line break separates
/// as well, so one left at the end of a line is dropped.
fn is_separator(c: char) -> bool {
    "·・‧•｜|".contains(c)
}

/// Punctuation that must not end a line: opening brackets and quotes.
fn no_line_end(c: char) -> bool {
    "（《「『【〔〈〖“‘([{".contains(c)
}

fn pieces(metrics: &Metrics<'_>, text: &str) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut space = false;
    for c in text.chars() {
        if c == ' ' {
            space = true;
            continue;
        }
        let last = pieces.last_mut();
        let glue = last.as_ref().is_some_and(|p| {
            let end = p.text.chars().last().unwrap_or(' ');
            no_line_start(c)
                || no_line_end(end)
                // Latin letters run on into one word; a space or a CJK character ends it.
                || (!space && !is_cjk(c) && !is_cjk(end))
        });
        match last {
            Some(last) if glue => {
                if space {
                    last.text.push(' ');
                }
                last.text.push(c);
            }
            _ => {
                let soft = !space
                    && is_cjk(c)
                    && pieces
                        .last()
                        .and_then(|p| p.text.chars().last())
                        .is_some_and(is_cjk);
                pieces.push(Piece {
                    text: c.to_string(),
                    width: 0.0,
                    space_before: space,
                    soft,
                });
            }
        }
        space = false;
    }
    for piece in &mut pieces {
        piece.width = metrics.width(&piece.text);
    }
    pieces
}

/// `pieces` with each one wider than `max` ems cut into single characters, so that very long
/// words (URLs, say) can break anywhere rather than overflow.
fn split_oversized(metrics: &Metrics<'_>, pieces: &[Piece], max: f32) -> Vec<Piece> {
    let mut out = Vec::new();
    for piece in pieces {
        if piece.width <= max {
            out.push(piece.clone());
            continue;
        }
        for (i, c) in piece.text.chars().enumerate() {
            out.push(Piece {
                text: c.to_string(),
                width: metrics.char_width(c),
                space_before: i == 0 && piece.space_before,
                soft: i > 0 || piece.soft,
            });
        }
    }
    out
}

/// Widths of runs of pieces in O(1): `cum[k]` is the width of `pieces[..k]` set on one line,
/// counting the space before each piece; a line drops the space before its first piece.
struct Runs<'p> {
    pieces: &'p [Piece],
    space: f32,
    cum: Vec<f32>,
}

impl<'p> Runs<'p> {
    fn new(pieces: &'p [Piece], space: f32) -> Self {
        let mut cum = Vec::with_capacity(pieces.len() + 1);
        let mut total = 0.0;
        cum.push(total);
        for p in pieces {
            total += p.width + if p.space_before { space } else { 0.0 };
            cum.push(total);
        }
        Runs { pieces, space, cum }
    }

    /// Width in ems of the line made of `pieces[start..end]` (`start < end`).
    fn width(&self, start: usize, end: usize) -> f32 {
        let lead = if self.pieces[start].space_before {
            self.space
        } else {
            0.0
        };
        self.cum[end] - self.cum[start] - lead
    }
}

/// The fewest lines `pieces` fit in at `max` ems wide (greedy filling is optimal for that), or
/// `None` if a piece alone is too wide.
fn line_count(pieces: &[Piece], space: f32, max: f32) -> Option<usize> {
    let runs = Runs::new(pieces, space);
    let mut count = 0;
    let mut start = 0;
    while start < pieces.len() {
        if runs.width(start, start + 1) > max {
            return None;
        }
        let mut end = start + 1;
        while end < pieces.len() && runs.width(start, end + 1) <= max {
            end += 1;
        }
        count += 1;
        start = end;
    }
    Some(count)
}

/// How much a break between two CJK characters costs, relative to a line's squared width: it may
/// split a word, so a break at a space or between scripts is preferred when the lines come out
/// about as even.
const SOFT_BREAK_COST: f64 = 0.15;

/// `pieces` broken into exactly `count` lines of at most `max` ems, as even in width as possible
/// (a two-line title reads better as two halves than as a full line and a stub), preferring
/// breaks that do not split a word.
fn balanced_lines(pieces: &[Piece], space: f32, max: f32, count: usize) -> Vec<String> {
    let n = pieces.len();
    if n == 0 || count == 0 {
        return Vec::new();
    }
    // best[k][j]: least cost of setting pieces[..j] in k lines, and where its last line starts.
    let mut best = vec![vec![(f64::INFINITY, 0usize); n + 1]; count + 1];
    best[0][0] = (0.0, 0);
    let max64 = f64::from(max);
    let runs = Runs::new(pieces, space);
    for k in 1..=count {
        for j in 1..=n {
            // Lines ending at j, longest last: stop once one is too wide.
            for i in (k - 1..j).rev() {
                let width = f64::from(runs.width(i, j));
                if width > max64 {
                    break;
                }
                let (before, _) = best[k - 1][i];
                if !before.is_finite() {
                    continue;
                }
                let slack = max64 - width;
                let soft = if j < n && pieces[j].soft {
                    SOFT_BREAK_COST * max64 * max64
                } else {
                    0.0
                };
                let cost = before + slack * slack + soft;
                // On a tie, the longer last line (i falls): "程序员 / 进阶攻略", not "程序员进 / 阶攻略".
                if cost <= best[k][j].0 {
                    best[k][j] = (cost, i);
                }
            }
        }
    }
    let mut bounds = Vec::with_capacity(count);
    let mut end = n;
    for k in (1..=count).rev() {
        let start = best[k][end].1;
        bounds.push((start, end));
        end = start;
    }
    bounds.reverse();
    bounds
        .into_iter()
        .map(|(start, end)| {
            let mut line = String::new();
            for (i, p) in pieces[start..end].iter().enumerate() {
                if i > 0 && p.space_before {
                    line.push(' ');
                }
                line.push_str(&p.text);
            }
            let trimmed = line.trim_end_matches(is_separator).trim_end();
            if end < n && !trimmed.is_empty() {
                line.truncate(trimmed.len());
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cover::{font, tests::LONG};

    #[test]
    fn clean_drops_what_shows_nothing_and_makes_whitespace_one_space() {
        assert_eq!(
            clean(" Linux\u{200B}性能\t\u{FEFF} \u{2060} 优化\u{AD}实战\u{1}\n"),
            "Linux性能 优化实战"
        );
        assert_eq!(clean("\u{200B} \u{200D}"), "");
        let long = clean(&"标题".repeat(TITLE_MAX_CHARS));
        assert_eq!(long.chars().count(), TITLE_MAX_CHARS);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn lines_break_at_spaces_and_between_scripts_and_never_before_closing_punctuation() {
        let font = font();
        let metrics = Metrics::new(&font);
        let lines = |title: &str| fit_title(&metrics, title, 696.0, 520.0).lines;
        assert_eq!(lines("Linux性能优化实战"), ["Linux性能", "优化实战"]);
        assert_eq!(lines("SRE实战手册"), ["SRE", "实战手册"]);
        assert_eq!(lines("程序员进阶攻略"), ["程序员", "进阶攻略"]);
        // The separator goes where the line breaks.
        assert_eq!(lines("Rust实战 · 手写下一代云原生消息队列")[0], "Rust实战");
        for line in lines(LONG)
            .iter()
            .chain(&lines("你好，世界。你好，世界。你好，世界。你好"))
        {
            assert!(!line.starts_with(no_line_start), "{line:?}");
        }
        let latin = lines("Designing Data-Intensive Applications: The Big Ideas");
        let words: Vec<&str> = latin.iter().flat_map(|l| l.split(' ')).collect();
        assert_eq!(
            words.join(" "),
            "Designing Data-Intensive Applications: The Big Ideas"
        );
    }
}
