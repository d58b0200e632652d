//! Device profiles (`--profile kindle`): the image width, grey or colour, and the stylesheet
//! that suit one kind of reader, chosen in one word.
//!
//! A profile only fills in what the user left unset: `--max-width`, `--grayscale` and their keys
//! in a settings file override its parts (`config.rs` applies that order).

use std::fmt;
use std::str::FromStr;

/// A kind of reading device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Kindle,
    Kobo,
    Koreader,
    Eink,
    Tablet,
}

/// For e-ink screens: 16 greys, no colour, faint light greys.
const EINK_CSS: &str = include_str!("../styles/profile-eink.css");
/// For colour tablets (iPad, Android) in reading apps.
const TABLET_CSS: &str = include_str!("../styles/profile-tablet.css");

impl Profile {
    /// Every profile, in the order help and errors list them.
    pub const ALL: [Profile; 5] = [
        Profile::Kindle,
        Profile::Kobo,
        Profile::Koreader,
        Profile::Eink,
        Profile::Tablet,
    ];

    /// The name on the command line and in settings files.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Kindle => "kindle",
            Profile::Kobo => "kobo",
            Profile::Koreader => "koreader",
            Profile::Eink => "eink",
            Profile::Tablet => "tablet",
        }
    }

    /// The widest article image, in pixels: the width of the device's screen in portrait, so an
    /// image is never scaled down by lessonpub and then up again by the reader.
    pub fn max_width(self) -> u32 {
        match self {
            // Kindle Paperwhite (2021 and later) and Kindle Colorsoft: 1236x1648, 300 ppi.
            Profile::Kindle => 1236,
            // Kobo Clara 2E / Clara BW, the common Kobo: 1072x1448, 300 ppi.
            Profile::Kobo => 1072,
            // KOReader runs on Kobo, Kindle, PocketBook and Android readers up to 7 inches
            // (Kobo Libra 2: 1264x1680): the default width, which fits them all.
            Profile::Koreader => crate::config::DEFAULT_MAX_WIDTH,
            // Any e-ink reader, the older 6 inch ones too (758x1024, 212 ppi): the smallest
            // book that still reads well.
            Profile::Eink => 758,
            // 10-11 inch tablets: iPad 1640x2360, Android 1600x2560.
            Profile::Tablet => 1600,
        }
    }

    /// Whether images are stored in grey: every e-ink screen shows grey only, and a grey
    /// image is smaller than a colour one.
    pub fn grayscale(self) -> bool {
        !matches!(self, Profile::Tablet)
    }

    /// The stylesheet added after the book's own.
    pub fn css(self) -> &'static str {
        match self {
            Profile::Tablet => TABLET_CSS,
            Profile::Kindle | Profile::Kobo | Profile::Koreader | Profile::Eink => EINK_CSS,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let wanted = value.trim().to_ascii_lowercase();
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Profile::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown profile `{value}`, expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_unknown_ones_list_the_choices() {
        for profile in Profile::ALL {
            assert_eq!(profile.name().parse::<Profile>(), Ok(profile));
        }
        assert_eq!("Kindle".parse::<Profile>(), Ok(Profile::Kindle));
        let err = "nook".parse::<Profile>().unwrap_err();
        assert!(err.contains("`nook`") && err.contains("kindle, kobo, koreader, eink, tablet"));
    }

    #[test]
    fn e_ink_profiles_are_grey_and_the_tablet_colour() {
        for profile in Profile::ALL {
            assert_eq!(profile.grayscale(), profile != Profile::Tablet, "{profile}");
            assert!((64..=8192).contains(&profile.max_width()), "{profile}");
        }
        assert_eq!(Profile::Kindle.max_width(), 1236);
        assert!(Profile::Tablet.max_width() > crate::config::DEFAULT_MAX_WIDTH);
    }
}
