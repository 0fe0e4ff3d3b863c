//! Money: an integer amount of a currency's minor unit, and the currency, which knows how
//! many minor units make a major one (ISO 4217: JPY 0, EUR 2, BHD 3). Two currencies never
//! add up: a shop prices in one currency, and the type refuses the sum.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Invalid;

/// ISO 4217 codes of currencies in circulation that shops can price in.
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL \
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD \
    FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS \
    KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK \
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD \
    SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX \
    USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL";

/// Currencies of the list above without minor units (ISO 4217 exponent 0).
const EXPONENT_0: &str = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";
/// Currencies with three decimals.
const EXPONENT_3: &str = "BHD IQD JOD KWD LYD OMR TND";

/// An ISO 4217 currency in circulation.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "utoipa",
    derive(utoipa::ToSchema),
    schema(value_type = String, example = "EUR")
)]
pub struct Currency([u8; 3]);

impl Currency {
    /// The euro.
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses a code, case and surrounding spaces forgiven; unknown codes are refused
    /// with `currency.unknown`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        match <[u8; 3]>::try_from(code.as_bytes()) {
            Ok(bytes) if CURRENCIES.split_whitespace().any(|k| k == code) => Ok(Currency(bytes)),
            _ => Err(Invalid::new(
                "currency.unknown",
                format!("“{}” is not an ISO 4217 currency code.", raw.trim()),
            )),
        }
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII codes of the list above.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point (JPY 0, EUR 2, BHD 3).
    pub fn minor_units(self) -> u32 {
        let code = self.as_str();
        if EXPONENT_0.split_whitespace().any(|k| k == code) {
            0
        } else if EXPONENT_3.split_whitespace().any(|k| k == code) {
            3
        } else {
            2
        }
    }

    fn scale(self) -> i64 {
        10_i64.pow(self.minor_units())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl std::str::FromStr for Currency {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "sqlx")]
mod sql {
    use super::Currency;

    impl sqlx::Type<sqlx::Postgres> for Currency {
        fn type_info() -> sqlx::postgres::PgTypeInfo {
            <String as sqlx::Type<sqlx::Postgres>>::type_info()
        }

        fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
            <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
        }
    }

    impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Currency {
        fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
            let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
            Currency::parse(text).map_err(|e| e.message.into_owned().into())
        }
    }

    impl sqlx::Encode<'_, sqlx::Postgres> for Currency {
        fn encode_by_ref(
            &self,
            buf: &mut sqlx::postgres::PgArgumentBuffer,
        ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
            <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
        }
    }
}

/// Why an amount could not be built or combined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Two currencies were combined.
    #[error("cannot combine {left} with {right}")]
    CurrencyMismatch {
        /// The left amount's currency.
        left: Currency,
        /// The right amount's currency.
        right: Currency,
    },
    /// The result does not fit.
    #[error("amount out of range")]
    Overflow,
    /// The text is not an amount (`19.90`), is negative, or has more decimals than the
    /// currency's minor unit allows.
    #[error("not an amount of {currency}")]
    Malformed {
        /// The currency the amount was meant in.
        currency: Currency,
    },
}

impl From<MoneyError> for Invalid {
    fn from(e: MoneyError) -> Invalid {
        match e {
            MoneyError::CurrencyMismatch { left, right } => Invalid::new(
                "money.currency_mismatch",
                format!("This shop prices in {left}; {right} is not accepted."),
            ),
            MoneyError::Overflow => Invalid::new("money.out_of_range", "The amount is too large."),
            MoneyError::Malformed { currency } => Invalid::new(
                "money.malformed",
                match currency.minor_units() {
                    0 => format!("Amounts in {currency} are whole numbers, such as 1500."),
                    n => format!(
                        "Amounts in {currency} look like 19.{}, with at most {n} decimals.",
                        "9".repeat(n as usize)
                    ),
                },
            ),
        }
    }
}

/// A rate in basis points as people write it: 1900 → "19", 750 → "7.5" (percent).
pub fn percent_text(basis_points: i32) -> String {
    let text = format!("{}.{:02}", basis_points / 100, basis_points % 100);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// An amount: integer minor units of one currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct Money {
    /// Minor units (cents for EUR, yen for JPY, fils for BHD).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount of `minor` units of `currency`.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    /// Nothing, in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    /// Parses a non-negative decimal amount typed by a person (`19.9`, `19.90`, `1500`,
    /// or with a decimal comma as much of Europe writes it, `249,00`), with no more
    /// decimals than the currency has. One separator at most: `1.249,00` is refused
    /// rather than guessed.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let bad = MoneyError::Malformed { currency };
        let trimmed = text.trim();
        if trimmed.contains(',') && trimmed.contains('.') {
            return Err(bad);
        }
        let dotted = trimmed.replacen(',', ".", 1);
        let text = dotted.as_str();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let places = currency.minor_units() as usize;
        if whole.is_empty()
            || !digits(whole)
            || !digits(fraction)
            || fraction.len() > places
            || (text.contains('.') && fraction.is_empty())
        {
            return Err(bad);
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let fraction: i64 = if fraction.is_empty() {
            0
        } else {
            let padded = format!("{fraction:0<places$}");
            padded.parse().map_err(|_| bad)?
        };
        whole
            .checked_mul(currency.scale())
            .and_then(|m| m.checked_add(fraction))
            .map(|minor| Money { minor, currency })
            .ok_or(MoneyError::Overflow)
    }

    /// The sum, refused when the currencies differ.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            });
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// This amount `quantity` times.
    pub fn times(self, quantity: u32) -> Result<Money, MoneyError> {
        self.minor
            .checked_mul(i64::from(quantity))
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// The amount without the currency code, as a form field shows it (`19.90`, `1500`).
    pub fn amount_text(&self) -> String {
        let places = self.currency.minor_units() as usize;
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        if places == 0 {
            return format!("{sign}{abs}");
        }
        let scale = self.currency.scale().unsigned_abs();
        format!("{sign}{}.{:0places$}", abs / scale, abs % scale)
    }
}

impl fmt::Display for Money {
    /// `19.90 EUR`, `1500 JPY`, `1.500 BHD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_text(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap_or(Currency::EUR)
    }

    #[test]
    fn amounts_print_with_the_currencys_minor_units() {
        assert_eq!(Money::new(1990, c("EUR")).to_string(), "19.90 EUR");
        assert_eq!(Money::new(1500, c("JPY")).to_string(), "1500 JPY");
        assert_eq!(Money::new(1500, c("BHD")).to_string(), "1.500 BHD");
        assert_eq!(Money::new(-5, c("EUR")).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(7, c("CHF")).amount_text(), "0.07");
    }

    #[test]
    fn amounts_parse_as_people_type_them() {
        let eur = c("eur");
        assert_eq!(Money::parse("19.9", eur), Ok(Money::new(1990, eur)));
        assert_eq!(Money::parse(" 19.90 ", eur), Ok(Money::new(1990, eur)));
        assert_eq!(Money::parse("19", eur), Ok(Money::new(1900, eur)));
        assert_eq!(
            Money::parse("1500", c("JPY")),
            Ok(Money::new(1500, c("JPY")))
        );
        assert_eq!(
            Money::parse("1.5", c("BHD")),
            Ok(Money::new(1500, c("BHD")))
        );
        // A decimal comma, as much of Europe types prices.
        assert_eq!(Money::parse("249,00", eur), Ok(Money::new(24900, eur)));
        assert_eq!(Money::parse("1,5", eur), Ok(Money::new(150, eur)));
        for bad in [
            "", "19.999", "-1", "19.", ".5", "1e3", "19.9x", "1.249,00", "1,249.00", "1,2,3",
            "19,", ",5", "19,999",
        ] {
            assert!(Money::parse(bad, eur).is_err(), "{bad:?}");
        }
        assert!(
            Money::parse("15.5", c("JPY")).is_err(),
            "yen have no decimals"
        );
        assert_eq!(
            Money::parse("99999999999999999999", eur),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn two_currencies_never_add_up() {
        let eur = Money::new(2000, c("EUR"));
        let chf = Money::new(8900, c("CHF"));
        assert_eq!(
            eur.checked_add(chf),
            Err(MoneyError::CurrencyMismatch {
                left: c("EUR"),
                right: c("CHF")
            })
        );
        assert_eq!(eur.checked_add(eur), Ok(Money::new(4000, c("EUR"))));
        assert_eq!(
            Money::new(i64::MAX, c("EUR")).checked_add(eur),
            Err(MoneyError::Overflow)
        );
        assert_eq!(eur.times(3), Ok(Money::new(6000, c("EUR"))));
    }

    #[test]
    fn currencies_are_iso_4217_codes_only() {
        assert_eq!(c("jpy").minor_units(), 0);
        assert_eq!(c("EUR").minor_units(), 2);
        assert_eq!(c("KWD").minor_units(), 3);
        assert_eq!(
            Currency::parse("XYZ").map_err(|e| e.code),
            Err("currency.unknown")
        );
        assert!(Currency::parse("EURO").is_err());
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
        assert_eq!(
            serde_json::to_string(&Money::new(5, c("EUR"))).unwrap_or_default(),
            r#"{"minor":5,"currency":"EUR"}"#
        );
    }
}
