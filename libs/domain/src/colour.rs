//! A shop's accent colour: `#rrggbb`, dark enough that white text on it (buttons) meets
//! WCAG 2.2 AA (4.5:1).

use crate::Invalid;

/// The least contrast white text needs on the accent colour (WCAG 2.2 AA, normal text).
pub const MIN_CONTRAST: f64 = 4.5;

/// An accent colour, `#rrggbb` in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accent(String);

impl Accent {
    /// Parses `#rrggbb` (any case, spaces around forgiven) and refuses a colour too light
    /// for white text, saying how much contrast it has.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let hex = raw.trim().to_ascii_lowercase();
        let rgb = parse_rgb(&hex).ok_or_else(|| {
            Invalid::new(
                "look.accent_invalid",
                "Please choose the colour as #rrggbb, for example #0f766e.",
            )
        })?;
        let contrast = contrast_with_white(rgb);
        if contrast < MIN_CONTRAST {
            return Err(Invalid::new(
                "look.accent_too_light",
                format!(
                    "This colour is too light for white text on buttons: {contrast:.1}:1, and at least {MIN_CONTRAST}:1 is needed. Please choose a darker one."
                ),
            ));
        }
        Ok(Accent(hex))
    }

    /// `#rrggbb`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_rgb(hex: &str) -> Option<[u8; 3]> {
    let digits = hex.strip_prefix('#')?;
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&digits[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// The WCAG contrast ratio of white against `rgb` (1 to 21).
pub fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
    1.05 / (l + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dark_colours_pass_light_ones_are_refused_with_their_contrast() {
        assert_eq!(Accent::parse(" #0F766E ").unwrap().as_str(), "#0f766e");
        assert!(Accent::parse("#000000").is_ok());
        assert!((contrast_with_white([0, 0, 0]) - 21.0).abs() < 0.01);
        assert!((contrast_with_white([255, 255, 255]) - 1.0).abs() < 0.01);
        let light = Accent::parse("#ffd700").unwrap_err();
        assert_eq!(light.code, "look.accent_too_light");
        assert!(light.message.contains(":1"), "{}", light.message);
        for bad in ["", "0f766e", "#0f766", "#0f766eff", "#gggggg", "red"] {
            assert_eq!(
                Accent::parse(bad).unwrap_err().code,
                "look.accent_invalid",
                "{bad}"
            );
        }
    }
}
