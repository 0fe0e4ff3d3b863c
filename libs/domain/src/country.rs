//! Countries as ISO 3166-1 alpha-2 codes: where goods are shipped, which rates and taxes apply.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Invalid;

/// Every officially assigned ISO 3166-1 alpha-2 code.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL \
    BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ \
    DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS \
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR \
    KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU \
    MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY \
    QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH \
    TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// A country, by its ISO 3166-1 alpha-2 code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// Parses a code, case and surrounding spaces forgiven; anything but an assigned code
    /// is refused with `country.unknown`.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let code = raw.trim().to_ascii_uppercase();
        match <[u8; 2]>::try_from(code.as_bytes()) {
            Ok(bytes) if COUNTRIES.split_whitespace().any(|k| k == code) => Ok(Country(bytes)),
            _ => Err(Invalid::new(
                "country.unknown",
                "Please choose a country by its two-letter code (for example DE or FR).",
            )),
        }
    }

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII codes of the list above.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }

    /// Every assigned code, in alphabetical order of the codes.
    pub fn all() -> impl Iterator<Item = Country> {
        COUNTRIES
            .split_whitespace()
            .filter_map(|c| <[u8; 2]>::try_from(c.as_bytes()).ok().map(Country))
    }

    /// Its English name as ISO 3166 gives it (the `isocountry` crate; every assigned code
    /// has one, which a test checks).
    pub fn name(&self) -> &'static str {
        isocountry::CountryCode::for_alpha2(self.as_str())
            .map(|c| c.name())
            .unwrap_or("")
    }

    /// Every country in alphabetical order of its name, for a picker.
    pub fn by_name() -> &'static [(Country, &'static str)] {
        static SORTED: std::sync::LazyLock<Vec<(Country, &'static str)>> =
            std::sync::LazyLock::new(|| {
                let mut all: Vec<(Country, &'static str)> =
                    Country::all().map(|c| (c, c.name())).collect();
                all.sort_by(|a, b| a.1.cmp(b.1));
                all
            });
        &SORTED
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

impl std::str::FromStr for Country {
    type Err = Invalid;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s)
    }
}

impl Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Country::parse(&text).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(feature = "sqlx")]
mod sql {
    use super::Country;

    impl sqlx::Type<sqlx::Postgres> for Country {
        fn type_info() -> sqlx::postgres::PgTypeInfo {
            <String as sqlx::Type<sqlx::Postgres>>::type_info()
        }

        fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
            <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
        }
    }

    impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Country {
        fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
            let text = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
            Country::parse(text).map_err(|e| e.message.into_owned().into())
        }
    }

    impl sqlx::Encode<'_, sqlx::Postgres> for Country {
        fn encode_by_ref(
            &self,
            buf: &mut sqlx::postgres::PgArgumentBuffer,
        ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
            <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
        }
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::PartialSchema for Country {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{2}$"))
            .into()
    }
}

#[cfg(feature = "utoipa")]
impl utoipa::ToSchema for Country {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_assigned_codes() {
        assert_eq!(
            Country::parse(" de ").map(|c| c.to_string()),
            Ok("DE".into())
        );
        for bad in ["", "D", "DEU", "ZZ", "XK1", "d e"] {
            assert!(Country::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Country::all().count(), 249);
    }

    #[test]
    fn every_country_has_a_name_and_the_picker_lists_them_by_name() {
        assert_eq!(Country::parse("DE").unwrap().name(), "Germany");
        assert!(
            Country::all().all(|c| !c.name().is_empty()),
            "a name for each"
        );
        let names: Vec<&str> = Country::by_name().iter().map(|(_, n)| *n).collect();
        assert_eq!(names.len(), 249);
        assert!(names.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(Country::by_name()[0].1, "Afghanistan");
    }
}
