//! Measuring a YAML stream before loading it: the loader copies every alias, so a small file of
//! aliases of aliases (a "billion laughs") would expand to billions of values in memory.

use std::collections::HashMap;

use yaml_rust2::ScanError;
use yaml_rust2::parser::{Event, EventReceiver, Parser};

/// How many values `text` stands for with every alias expanded, counted from the parser's
/// events without expanding anything.
pub(super) fn expanded_size(text: &str) -> Result<usize, ScanError> {
    let mut size = ExpandedSize::default();
    Parser::new_from_str(text).load(&mut size, true)?;
    Ok(size.total)
}

#[derive(Default)]
struct ExpandedSize {
    /// The collections open now: their anchor (0 for none) and their size so far.
    open: Vec<(usize, usize)>,
    /// The size of each anchored value, by anchor.
    anchored: HashMap<usize, usize>,
    total: usize,
}

impl EventReceiver for ExpandedSize {
    fn on_event(&mut self, event: Event) {
        let (anchor, size) = match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                self.open.push((anchor, 1));
                return;
            }
            Event::SequenceEnd | Event::MappingEnd => match self.open.pop() {
                Some(closed) => closed,
                None => return,
            },
            Event::Scalar(_, _, anchor, _) => (anchor, 1),
            Event::Alias(anchor) => (0, self.anchored.get(&anchor).copied().unwrap_or(1)),
            _ => return,
        };
        if anchor > 0 {
            self.anchored.insert(anchor, size);
        }
        let into = match self.open.last_mut() {
            Some((_, open)) => open,
            None => &mut self.total,
        };
        *into = into.saturating_add(size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_count_as_the_values_they_stand_for() {
        // The mapping, `a`, the list [1, 2] (3 values), `b`, and a list holding it twice (7).
        assert_eq!(expanded_size("a: &x [1, 2]\nb: [*x, *x]\n").unwrap(), 13);
        assert_eq!(expanded_size("a: [1, 2]\nb: [1, 2]\n").unwrap(), 9);
        assert!(expanded_size("a: [1, 2\n").is_err());
    }
}
