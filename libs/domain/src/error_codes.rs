//! The shape of a contract crate's error codes: a closed enum whose variants both sides
//! name, with its wire text, the list of all codes and a parser. Written once here so the
//! cart's and the orders' contracts cannot drift apart in how they map codes.

/// Declares `pub enum ErrorCode` with `ALL`, `as_str` and `parse`, from
/// `Variant = "wire.text"` pairs, each with its doc comment. The first line names what
/// the enum is for (a doc attribute).
#[macro_export]
macro_rules! error_codes {
    (#[doc = $what:literal] $($(#[$doc:meta])* $variant:ident = $text:literal),+ $(,)?) => {
        #[doc = $what]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant),+
        }

        impl ErrorCode {
            /// Every code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),+];

            /// The wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text),+
                }
            }

            /// Parses the wire form.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}
