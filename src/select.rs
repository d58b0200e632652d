//! Which comments of a lesson go into the book: all, none, the top N by likes, filtered by a
//! minimum of likes or by having a reply.

use crate::model::Comment;

/// How many comments per lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Limit {
    #[default]
    All,
    None,
    /// The N most liked (the first N where the format records no likes).
    Top(usize),
}

impl std::str::FromStr for Limit {
    type Err = String;

    /// `all`, `none` (or `0`), or a number of comments per lesson.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "all" => Ok(Limit::All),
            "none" | "0" => Ok(Limit::None),
            n => n.parse::<usize>().map(Limit::Top).map_err(|_| {
                format!("expected `all`, `none` or a number of comments per lesson, not `{value}`")
            }),
        }
    }
}

/// The user's choice of comments, applied to each lesson on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommentChoice {
    pub limit: Limit,
    /// Only comments with at least this many likes. A comment whose format records no likes
    /// does not qualify (the build refuses the flag for a column that records none at all).
    pub min_likes: Option<u32>,
    /// Only comments the author or editor answered.
    pub with_reply: bool,
}

impl CommentChoice {
    /// Whether this choice can change anything beyond "all comments".
    pub fn is_all(&self) -> bool {
        *self == CommentChoice::default()
    }
}

/// The comments of one lesson that `choice` keeps. Filters apply first, then the limit. With
/// `Top(n)` the most liked come first, ties in page order; otherwise page order is kept.
pub fn select(comments: Vec<Comment>, choice: &CommentChoice) -> Vec<Comment> {
    if choice.limit == Limit::None {
        return Vec::new();
    }
    let mut kept: Vec<Comment> = comments
        .into_iter()
        .filter(|c| !choice.with_reply || c.has_reply())
        .filter(|c| {
            choice
                .min_likes
                .is_none_or(|min| c.likes.is_some_and(|l| l >= min))
        })
        .collect();
    if let Limit::Top(n) = choice.limit {
        if kept.iter().any(|c| c.likes.is_some()) {
            // `sort_by_key` is stable: equal likes keep their page order.
            kept.sort_by_key(|c| std::cmp::Reverse(c.likes.unwrap_or(0)));
        }
        kept.truncate(n);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Reply, ReplyBy};

    fn c(name: &str, likes: Option<u32>, replied: bool) -> Comment {
        Comment {
            author: name.into(),
            likes,
            reply: replied.then(|| Reply {
                by: ReplyBy::Author,
                text: "r".into(),
            }),
            ..Comment::default()
        }
    }

    fn names(v: &[Comment]) -> Vec<&str> {
        v.iter().map(|c| c.author.as_str()).collect()
    }

    fn page() -> Vec<Comment> {
        vec![
            c("a", Some(3), false),
            c("b", Some(10), true),
            c("c", Some(3), true),
            c("d", Some(0), false),
            c("e", Some(10), false),
        ]
    }

    #[test]
    fn limits_parse() {
        assert_eq!("all".parse(), Ok(Limit::All));
        assert_eq!("None".parse(), Ok(Limit::None));
        assert_eq!("0".parse(), Ok(Limit::None));
        assert_eq!(" 12 ".parse(), Ok(Limit::Top(12)));
        assert!("-3".parse::<Limit>().unwrap_err().contains("`-3`"));
    }

    #[test]
    fn all_keeps_every_comment_in_page_order() {
        assert_eq!(
            names(&select(page(), &CommentChoice::default())),
            ["a", "b", "c", "d", "e"]
        );
    }

    #[test]
    fn none_keeps_nothing() {
        let choice = CommentChoice {
            limit: Limit::None,
            ..Default::default()
        };
        assert!(select(page(), &choice).is_empty());
    }

    #[test]
    fn top_n_keeps_most_liked_with_ties_in_page_order() {
        let choice = CommentChoice {
            limit: Limit::Top(3),
            ..Default::default()
        };
        assert_eq!(names(&select(page(), &choice)), ["b", "e", "a"]);
    }

    #[test]
    fn top_n_larger_than_the_list_keeps_all() {
        let choice = CommentChoice {
            limit: Limit::Top(99),
            ..Default::default()
        };
        assert_eq!(select(page(), &choice).len(), 5);
    }

    #[test]
    fn top_n_without_likes_is_the_first_n() {
        let page = vec![c("x", None, false), c("y", None, true), c("z", None, false)];
        let choice = CommentChoice {
            limit: Limit::Top(2),
            ..Default::default()
        };
        assert_eq!(names(&select(page, &choice)), ["x", "y"]);
    }

    #[test]
    fn min_likes_keeps_comments_at_or_above() {
        let choice = CommentChoice {
            min_likes: Some(3),
            ..Default::default()
        };
        assert_eq!(names(&select(page(), &choice)), ["a", "b", "c", "e"]);
    }

    #[test]
    fn min_likes_excludes_comments_without_a_like_count() {
        let choice = CommentChoice {
            min_likes: Some(0),
            ..Default::default()
        };
        assert!(select(vec![c("x", None, false)], &choice).is_empty());
    }

    #[test]
    fn with_reply_keeps_answered_comments_by_reply_or_count() {
        let mut counted = c("f", Some(1), false);
        counted.reply_count = Some(2);
        let mut page = page();
        page.push(counted);
        let choice = CommentChoice {
            with_reply: true,
            ..Default::default()
        };
        assert_eq!(names(&select(page, &choice)), ["b", "c", "f"]);
    }

    #[test]
    fn flags_combine_filters_before_limit() {
        let choice = CommentChoice {
            limit: Limit::Top(1),
            min_likes: Some(3),
            with_reply: true,
        };
        assert_eq!(names(&select(page(), &choice)), ["b"]);
        let choice = CommentChoice {
            limit: Limit::Top(2),
            min_likes: Some(5),
            with_reply: false,
        };
        assert_eq!(names(&select(page(), &choice)), ["b", "e"]);
    }
}
