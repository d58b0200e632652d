//! A word beside emoji that would otherwise be all a comment says.
//!
//! Engines without an emoji font (calibre's PDF, Kindles reading MOBI, Adobe RMSDK) draw emoji
//! as nothing or as a box, so an author's reply of `👍` alone reads as an empty `作者回复`.
//! A text made only of emoji keeps them and gets their meaning in words after them: `👍（赞）`.
//! Where the glyphs show, the word repeats them harmlessly; where they do not, it is the reply.
//! Emoji among other words are left alone: the words carry the text. (Embedding emoji images
//! instead would need a font or pictures lessonpub does not ship.)

use std::borrow::Cow;

/// The emoji readers' comments and authors' replies use, with what each says.
const WORDS: &[(char, &str)] = &[
    ('👍', "赞"),
    ('😊', "微笑"),
    ('😂', "笑哭"),
    ('😄', "大笑"),
    ('😁', "呲牙笑"),
    ('😀', "笑"),
    ('😃', "笑"),
    ('😆', "大笑"),
    ('🤣', "笑翻"),
    ('😅', "苦笑"),
    ('😉', "眨眼"),
    ('😎', "酷"),
    ('😍', "喜欢"),
    ('🤗', "拥抱"),
    ('💪', "加油"),
    ('🙏', "感谢"),
    ('👏', "鼓掌"),
    ('👌', "好的"),
    ('🤝', "握手"),
    ('👊', "加油"),
    ('⭐', "星"),
    ('✨', "闪亮"),
    ('❤', "爱心"),
    ('🌹', "玫瑰"),
    ('🤔', "思考"),
    ('😓', "汗"),
    ('😢', "难过"),
    ('😭', "大哭"),
    ('😔', "失落"),
    ('😳', "惊讶"),
    ('😲', "惊讶"),
    ('🙈', "捂脸"),
    ('🤦', "捂脸"),
];

/// What an unlisted emoji is called.
const UNKNOWN: &str = "表情";

/// `text` with the meaning of its emoji added in words when it holds nothing but emoji (and
/// spaces); otherwise `text` itself.
pub fn with_words(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if trimmed.is_empty() || !trimmed.chars().all(|c| is_emoji(c) || c.is_whitespace()) {
        return Cow::Borrowed(text);
    }
    let mut words: Vec<&str> = Vec::new();
    // What follows a zero-width joiner belongs to the emoji before it (`🤦‍♂️` is one).
    let chars: Vec<char> = trimmed.chars().collect();
    let firsts = chars
        .iter()
        .enumerate()
        .filter(|&(i, c)| is_pictograph(*c) && (i == 0 || chars[i - 1] != '\u{200D}'))
        .map(|(_, c)| *c);
    for c in firsts {
        let word = WORDS
            .iter()
            .find(|(e, _)| *e == c)
            .map_or(UNKNOWN, |(_, w)| *w);
        // `👍👍👍` says 赞 once.
        if words.last() != Some(&word) {
            words.push(word);
        }
    }
    Cow::Owned(format!("{trimmed}（{}）", words.join("、")))
}

/// A character that draws a picture (not a modifier or joiner).
fn is_pictograph(c: char) -> bool {
    matches!(c, '\u{1F000}'..='\u{1F3FA}' | '\u{1F400}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{2B00}'..='\u{2BFF}')
}

/// A character of an emoji: a picture, or what joins and modifies one (ZWJ, variation
/// selector, skin tone, keycap).
fn is_emoji(c: char) -> bool {
    is_pictograph(c)
        || matches!(
            c,
            '\u{200D}' | '\u{FE0F}' | '\u{20E3}' | '\u{1F3FB}'..='\u{1F3FF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emoji_only_text_keeps_its_emoji_and_gains_their_words() {
        assert_eq!(with_words("👍"), "👍（赞）");
        assert_eq!(with_words(" 👍🏻 "), "👍🏻（赞）");
        assert_eq!(with_words("👍👍👍"), "👍👍👍（赞）");
        assert_eq!(with_words("😊 💪"), "😊 💪（微笑、加油）");
        assert_eq!(with_words("🤦‍♂️"), "🤦‍♂️（捂脸）");
        assert_eq!(with_words("🦀"), "🦀（表情）");
    }

    #[test]
    fn text_with_words_is_left_as_it_is() {
        for text in ["谢谢😊", "赞👍", "加油", "", "  ", "1👍"] {
            assert_eq!(with_words(text), text);
        }
    }
}
