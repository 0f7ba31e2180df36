//! Public holidays computed by rule, never from per-year tables that expire.
//!
//! Every list comes from four kinds of rule: fixed dates, the nth (or last) weekday of a
//! month, dates moved to a nearby Monday (or Friday), and days counted from Easter Sunday.
//! [`easter_sunday`] uses the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
//! Everything is pure and deterministic. Years outside [`YEAR_MIN`]`..=`[`YEAR_MAX`] (1900 to
//! 2200) give an empty list, so [`is_holiday`] is false there. Names are the official Spanish
//! names (English for the United States). They are `&'static str`, and two holidays that
//! fall on the same day share one entry with a combined name.
//!
//! # Scope and limits, for every calendar
//!
//! - **Holidays added by law carry their start year** where it is known. They are listed
//!   below.
//! - **Rules that only move a date are applied to every year**, including years before the
//!   law existed. So before the US Uniform Monday Holiday Act (1971), Colombia's Ley 51 de
//!   1983 (in force 1984), Chile's Ley 19.668 (2000) and Mexico's 2006 reform of LFT art. 74,
//!   the lists follow today's rules, not the dates of the time. Holidays since abolished are
//!   not listed.
//! - **One-off holidays are not listed**: days declared by decree or by a special law,
//!   election days, and "dias no laborables" or bridge days declared year by year.
//! - **Regional and local holidays are out of scope** for every country.
//!
//! # United States: federal (5 U.S.C. 6103)
//!
//! - Fixed: New Year's Day (Jan 1), Juneteenth (Jun 19, from 2021), Independence Day
//!   (Jul 4), Veterans Day (Nov 11), Christmas Day (Dec 25).
//! - Weekdays: Birthday of Martin Luther King, Jr. (3rd Monday of January, from 1986),
//!   Washington's Birthday (3rd Monday of February), Memorial Day (last Monday of May), Labor
//!   Day (1st Monday of September), Columbus Day (2nd Monday of October), Thanksgiving Day
//!   (4th Thursday of November).
//! - Observed days (5 U.S.C. 6103(b), Executive Order 11582): a fixed holiday on a Saturday
//!   is observed on the Friday before, and one on a Sunday on the Monday after. The list
//!   holds **both** the actual date and the observed date, named "... (observed)", because
//!   contact rules care about both. When January 1 of the next year is a Saturday, December
//!   31 of this year is listed as "New Year's Day (observed)". Inauguration Day (a holiday
//!   only around Washington, D.C.) is not listed.
//!
//! # Colombia (Ley 51 de 1983, "Ley Emiliani")
//!
//! - Fixed: Jan 1, May 1, Jul 20, Aug 7, Dec 8, Dec 25.
//! - Moved to the next Monday unless they fall on a Monday: Reyes Magos (Jan 6), San Jose
//!   (Mar 19), San Pedro y San Pablo (Jun 29), Asuncion (Aug 15), Dia de la Raza (Oct 12),
//!   Todos los Santos (Nov 1), Independencia de Cartagena (Nov 11).
//! - From Easter: Holy Thursday (Easter - 3), Good Friday (Easter - 2), and, already moved to
//!   Monday, Ascension (Easter + 43), Corpus Christi (Easter + 64) and Sagrado Corazon
//!   (Easter + 71).
//! - When Easter falls on April 19 to 25, Sagrado Corazon and the moved San Pedro y San
//!   Pablo fall on the same Monday (for example 2011-07-04). The law gives no further rule,
//!   so they share one entry named "Sagrado Corazon; San Pedro y San Pablo".
//!
//! # Mexico (Ley Federal del Trabajo, art. 74)
//!
//! - Mandatory rest days: Jan 1; the 1st Monday of February; the 3rd Monday of March;
//!   May 1; Sep 16; the 3rd Monday of November; Dec 25; and the day a new President takes
//!   office: Oct 1 every six years from 2024 (2024, 2030, ...), and before that Dec 1 every
//!   six years from 1970 to 2018 (the 1970 LFT).
//! - Also listed: Holy Thursday and Good Friday. These are **bank holidays** (banks close
//!   under the CNBV calendar), not LFT art. 74 rest days.
//! - Election days (art. 74 fraction IX) are not listed. Under current electoral law they
//!   fall on a Sunday.
//!
//! # Chile
//!
//! - Fixed: Jan 1, May 1, May 21, Jul 16 (from 2007), Aug 15, Sep 18, Sep 19, Nov 1, Dec 8,
//!   Dec 25. From Easter: Good Friday and Holy Saturday.
//! - Ley 19.668 moves San Pedro y San Pablo (Jun 29) and Encuentro de Dos Mundos (Oct 12).
//!   On a Tuesday, Wednesday or Thursday they move back to the Monday of that week, and on a
//!   Friday to the next Monday. On a Saturday, Sunday or Monday they stay.
//! - Iglesias Evangelicas y Protestantes (Oct 31, Ley 20.299, from 2008): on a Tuesday it
//!   moves to the Friday before (Oct 27), and on a Wednesday to the Friday after (Nov 2).
//! - Extra days next to a holiday, set by law: Jan 2 when it is a Monday (from 2017); Sep 17
//!   when it is a Monday (from 2007) or a Friday (from 2017); Sep 20 when it is a Friday
//!   (from 2008).
//! - Dia Nacional de los Pueblos Indigenas (Ley 21.357, from 2021) falls on the day of the
//!   southern winter solstice. 2021 is Jun 21, as the law set it. From 2022 the date comes
//!   from an approximation: the **mean** June solstice, JDE 2451716.56767 + 365.24162603
//!   days a year after 2000 (Meeus, "Astronomical Algorithms", table 27.B), computed in
//!   integer milliseconds and read in Chile's winter time (UTC-4). The periodic terms and
//!   Delta T are left out, so the instant can be off by about 20 minutes. Checked against
//!   an ephemeris for 2022 to 2200, it gives the wrong day only in 2137 (solstice 23:59:44
//!   on Jun 20, model Jun 21). The government's decree for a given year wins over this rule.
//! - Dec 31 (a bank holiday only) and election days are not listed.
//!
//! # Peru (Decreto Legislativo 713, art. 6)
//!
//! - Jan 1, Holy Thursday, Good Friday, May 1, Jun 29, Jul 28, Jul 29, Aug 30, Oct 8, Nov 1,
//!   Dec 8, Dec 25.
//! - Added by law: Batalla de Junin, Aug 6 (Ley 31530, from 2022); Batalla de Ayacucho,
//!   Dec 9 (from 2022); Dia de la Fuerza Aerea, Jul 23 (Ley 31822 of July 2023, from 2023);
//!   Batalla de Arica y Dia de la Bandera, Jun 7 (Ley 31788 of June 15, 2023, from 2024).
//!
//! # Spain (national holidays only)
//!
//! - Jan 1, Jan 6, Good Friday, May 1, Aug 15, Oct 12, Nov 1, Dec 6, Dec 8, Dec 25.
//! - Out of scope: Holy Thursday and Easter Monday (regional), the other regional and
//!   local holidays, and a region's move of a national holiday that falls on a Sunday to
//!   the Monday after.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The first year that has holidays; earlier years give an empty list.
pub const YEAR_MIN: i32 = 1900;
/// The last year that has holidays; later years give an empty list.
pub const YEAR_MAX: i32 = 2200;
const _: () = assert!(YEAR_MIN < YEAR_MAX);
/// The Gregorian calendar (and so the Easter algorithm) starts in 1583.
const GREGORIAN_YEAR_MIN: i32 = 1583;
const _: () = assert!(GREGORIAN_YEAR_MIN <= YEAR_MIN);

/// A holiday calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    /// United States federal holidays (5 U.S.C. 6103).
    UsFederal,
    /// Colombia (Ley 51 de 1983 moves many to Monday; Easter-based days).
    Colombia,
    /// Mexico (Ley Federal del Trabajo, art. 74, plus Holy Thursday and Good Friday).
    Mexico,
    /// Chile.
    Chile,
    /// Peru.
    Peru,
    /// Spain (national holidays only).
    Spain,
}

impl Calendar {
    /// Every calendar.
    pub const ALL: [Calendar; 6] = [
        Calendar::UsFederal,
        Calendar::Colombia,
        Calendar::Mexico,
        Calendar::Chile,
        Calendar::Peru,
        Calendar::Spain,
    ];

    /// The name as written in files and on the command line (the serde name).
    pub fn name(self) -> &'static str {
        match self {
            Calendar::UsFederal => "us_federal",
            Calendar::Colombia => "colombia",
            Calendar::Mexico => "mexico",
            Calendar::Chile => "chile",
            Calendar::Peru => "peru",
            Calendar::Spain => "spain",
        }
    }
}

impl std::str::FromStr for Calendar {
    type Err = String;
    fn from_str(text: &str) -> Result<Calendar, String> {
        Calendar::ALL.into_iter().find(|calendar| calendar.name() == text).ok_or_else(|| {
            let names: Vec<&str> = Calendar::ALL.iter().map(|calendar| calendar.name()).collect();
            format!("unknown calendar {text:?} ({})", names.join(", "))
        })
    }
}

/// Easter Sunday of `year` in the Gregorian calendar, by the anonymous Gregorian algorithm
/// (Meeus/Jones/Butcher). `None` before 1583 (no Gregorian calendar yet) and past the last
/// year a `NaiveDate` can hold.
///
/// ```
/// use arrears_core::holidays::easter_sunday;
/// use chrono::NaiveDate;
/// assert_eq!(easter_sunday(2026), NaiveDate::from_ymd_opt(2026, 4, 5));
/// assert_eq!(easter_sunday(1500), None);
/// ```
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    if year < GREGORIAN_YEAR_MIN {
        return None;
    }
    // Every intermediate value is small: a < 19, h < 30, l < 7, and b <= i32::MAX / 100.
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

/// The holidays of `calendar` in `year`, by date, with their names. Empty outside
/// [`YEAR_MIN`]`..=`[`YEAR_MAX`]. Dates are strictly increasing (no date twice) and all in
/// `year`.
pub fn holidays(calendar: Calendar, year: i32) -> Vec<(NaiveDate, &'static str)> {
    if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
        return Vec::new();
    }
    let built = match calendar {
        Calendar::UsFederal => us_federal(year),
        Calendar::Colombia => colombia(year),
        Calendar::Mexico => mexico(year),
        Calendar::Chile => chile(year),
        Calendar::Peru => peru(year),
        Calendar::Spain => spain(year),
    };
    // Every date built above is valid for every year in range (the tests build all of them).
    debug_assert!(built.is_some(), "{calendar:?} {year}: a rule built no date");
    let mut days = built.unwrap_or_default();
    days.sort_by_key(|(date, _)| *date);
    debug_assert!(days.windows(2).all(|pair| pair[0].0 < pair[1].0), "{calendar:?} {year}");
    debug_assert!(days.iter().all(|(date, _)| date.year() == year), "{calendar:?} {year}");
    days
}

/// Returns true if and only if `date` is a holiday of `calendar`.
pub fn is_holiday(calendar: Calendar, date: NaiveDate) -> bool {
    holidays(calendar, date.year()).iter().any(|(holiday, _)| *holiday == date)
}

type Holiday = (NaiveDate, &'static str);

// Names shared by several calendars. Sources stay ASCII: accented letters are escapes.
const ANO_NUEVO: &str = "A\u{f1}o Nuevo";
const JUEVES_SANTO: &str = "Jueves Santo";
const VIERNES_SANTO: &str = "Viernes Santo";
const DIA_DEL_TRABAJO: &str = "D\u{ed}a del Trabajo";
const SAN_PEDRO_Y_SAN_PABLO: &str = "San Pedro y San Pablo";
const ASUNCION: &str = "Asunci\u{f3}n de la Virgen";
const TODOS_LOS_SANTOS: &str = "Todos los Santos";
const INMACULADA_CONCEPCION: &str = "Inmaculada Concepci\u{f3}n";
const NAVIDAD: &str = "Navidad";

fn ymd(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `date` moved by `days` (negative moves back).
fn shift(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    }
}

/// The `n`th `weekday` of `month` (`n` from 1).
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
}

/// The last `weekday` of `month`.
fn last_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let next_month =
        if month == 12 { ymd(year.checked_add(1)?, 1, 1) } else { ymd(year, month + 1, 1) };
    let last_day = next_month?.pred_opt()?;
    let back = (7 + last_day.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
    shift(last_day, -i64::from(back))
}

/// `date` if it is a Monday, else the Monday after it.
fn monday_on_or_after(date: NaiveDate) -> Option<NaiveDate> {
    shift(date, i64::from((7 - date.weekday().num_days_from_monday()) % 7))
}

/// The day `date` is observed on under 5 U.S.C. 6103(b), if it differs from `date`.
fn us_observed(date: NaiveDate) -> Option<Option<NaiveDate>> {
    match date.weekday() {
        Weekday::Sat => shift(date, -1).map(Some),
        Weekday::Sun => shift(date, 1).map(Some),
        _ => Some(None),
    }
}

fn us_federal(year: i32) -> Option<Vec<Holiday>> {
    const NEW_YEARS_DAY: &str = "New Year's Day";
    const NEW_YEARS_DAY_OBSERVED: &str = "New Year's Day (observed)";
    let mut fixed = vec![
        (ymd(year, 1, 1)?, NEW_YEARS_DAY, NEW_YEARS_DAY_OBSERVED),
        (ymd(year, 7, 4)?, "Independence Day", "Independence Day (observed)"),
        (ymd(year, 11, 11)?, "Veterans Day", "Veterans Day (observed)"),
        (ymd(year, 12, 25)?, "Christmas Day", "Christmas Day (observed)"),
    ];
    if year >= 2021 {
        fixed.push((
            ymd(year, 6, 19)?,
            "Juneteenth National Independence Day",
            "Juneteenth National Independence Day (observed)",
        ));
    }
    let mut days = Vec::with_capacity(16);
    for (date, name, observed_name) in fixed {
        days.push((date, name));
        // January 1 on a Saturday is observed on December 31 of the year before: see below.
        if let Some(observed) = us_observed(date)? {
            if observed.year() == year {
                days.push((observed, observed_name));
            }
        }
    }
    // Next year's New Year's Day on a Saturday is observed on December 31 of this year.
    if ymd(year.checked_add(1)?, 1, 1)?.weekday() == Weekday::Sat {
        days.push((ymd(year, 12, 31)?, NEW_YEARS_DAY_OBSERVED));
    }
    if year >= 1986 {
        days.push((nth_weekday(year, 1, Weekday::Mon, 3)?, "Birthday of Martin Luther King, Jr."));
    }
    days.push((nth_weekday(year, 2, Weekday::Mon, 3)?, "Washington's Birthday"));
    days.push((last_weekday(year, 5, Weekday::Mon)?, "Memorial Day"));
    days.push((nth_weekday(year, 9, Weekday::Mon, 1)?, "Labor Day"));
    days.push((nth_weekday(year, 10, Weekday::Mon, 2)?, "Columbus Day"));
    days.push((nth_weekday(year, 11, Weekday::Thu, 4)?, "Thanksgiving Day"));
    Some(days)
}

const REYES: &str = "D\u{ed}a de los Reyes Magos";
const SAN_JOSE: &str = "D\u{ed}a de San Jos\u{e9}";
const ASCENSION: &str = "Ascensi\u{f3}n del Se\u{f1}or";
const CORPUS_CHRISTI: &str = "Corpus Christi";
const SAGRADO_CORAZON: &str = "Sagrado Coraz\u{f3}n";
const SAGRADO_CORAZON_SAN_PEDRO: &str = "Sagrado Coraz\u{f3}n; San Pedro y San Pablo";
const DIA_DE_LA_RAZA: &str = "D\u{ed}a de la Raza";
const CARTAGENA: &str = "Independencia de Cartagena";

fn colombia(year: i32) -> Option<Vec<Holiday>> {
    let easter = easter_sunday(year)?;
    let mut days = vec![
        (ymd(year, 1, 1)?, ANO_NUEVO),
        (ymd(year, 5, 1)?, DIA_DEL_TRABAJO),
        (ymd(year, 7, 20)?, "D\u{ed}a de la Independencia"),
        (ymd(year, 8, 7)?, "Batalla de Boyac\u{e1}"),
        (ymd(year, 12, 8)?, INMACULADA_CONCEPCION),
        (ymd(year, 12, 25)?, NAVIDAD),
        (shift(easter, -3)?, JUEVES_SANTO),
        (shift(easter, -2)?, VIERNES_SANTO),
        (shift(easter, 43)?, ASCENSION),
        (shift(easter, 64)?, CORPUS_CHRISTI),
    ];
    for (month, day, name) in [
        (1, 6, REYES),
        (3, 19, SAN_JOSE),
        (8, 15, ASUNCION),
        (10, 12, DIA_DE_LA_RAZA),
        (11, 1, TODOS_LOS_SANTOS),
        (11, 11, CARTAGENA),
    ] {
        days.push((monday_on_or_after(ymd(year, month, day)?)?, name));
    }
    // Sagrado Corazon (Easter + 71) and the moved San Pedro y San Pablo meet on one Monday
    // when Easter is April 19 to 25; they then share an entry.
    let sagrado_date = shift(easter, 71)?;
    let san_pedro_date = monday_on_or_after(ymd(year, 6, 29)?)?;
    if sagrado_date == san_pedro_date {
        days.push((sagrado_date, SAGRADO_CORAZON_SAN_PEDRO));
    } else {
        days.push((sagrado_date, SAGRADO_CORAZON));
        days.push((san_pedro_date, SAN_PEDRO_Y_SAN_PABLO));
    }
    Some(days)
}

fn mexico(year: i32) -> Option<Vec<Holiday>> {
    const TRANSMISION: &str = "Transmisi\u{f3}n del Poder Ejecutivo Federal";
    let easter = easter_sunday(year)?;
    let mut days = vec![
        (ymd(year, 1, 1)?, ANO_NUEVO),
        (nth_weekday(year, 2, Weekday::Mon, 1)?, "D\u{ed}a de la Constituci\u{f3}n"),
        (nth_weekday(year, 3, Weekday::Mon, 3)?, "Natalicio de Benito Ju\u{e1}rez"),
        (shift(easter, -3)?, JUEVES_SANTO),
        (shift(easter, -2)?, VIERNES_SANTO),
        (ymd(year, 5, 1)?, DIA_DEL_TRABAJO),
        (ymd(year, 9, 16)?, "D\u{ed}a de la Independencia"),
        (nth_weekday(year, 11, Weekday::Mon, 3)?, "D\u{ed}a de la Revoluci\u{f3}n"),
        (ymd(year, 12, 25)?, NAVIDAD),
    ];
    if year >= 2024 && (year - 2024) % 6 == 0 {
        days.push((ymd(year, 10, 1)?, TRANSMISION));
    } else if (1970..=2018).contains(&year) && (year - 1970) % 6 == 0 {
        days.push((ymd(year, 12, 1)?, TRANSMISION));
    }
    Some(days)
}

/// Chile's Ley 19.668: Tuesday to Thursday back to that week's Monday, Friday on to the
/// next Monday, Saturday to Monday unchanged.
fn chile_ley_19668(date: NaiveDate) -> Option<NaiveDate> {
    match date.weekday() {
        Weekday::Tue => shift(date, -1),
        Weekday::Wed => shift(date, -2),
        Weekday::Thu => shift(date, -3),
        Weekday::Fri => shift(date, 3),
        Weekday::Sat | Weekday::Sun | Weekday::Mon => Some(date),
    }
}

/// Milliseconds from 2000-06-21T00:00 to the mean June solstice of 2000, JDE 2451716.56767
/// (Meeus, table 27.B): 0.06767 days.
const SOLSTICE_2000_MS: i64 = 5_846_688;
/// The mean June-solstice year, 365.24162603 days, in milliseconds (rounded).
const SOLSTICE_YEAR_MS: i64 = 31_556_876_489;
/// Chile's winter time is UTC-4.
const CHILE_WINTER_UTC_OFFSET_MS: i64 = -4 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The day, in Chile's winter time, of the mean June solstice of `year`: see the module doc
/// for the approximation and its limits.
fn chile_winter_solstice(year: i32) -> Option<NaiveDate> {
    let years = i64::from(year).checked_sub(2000)?;
    let instant = years.checked_mul(SOLSTICE_YEAR_MS)?.checked_add(SOLSTICE_2000_MS)?;
    let local = instant.checked_add(CHILE_WINTER_UTC_OFFSET_MS)?;
    shift(ymd(2000, 6, 21)?, local.div_euclid(DAY_MS))
}

fn chile(year: i32) -> Option<Vec<Holiday>> {
    const FIESTAS_PATRIAS: &str = "Fiestas Patrias (feriado adicional)";
    let easter = easter_sunday(year)?;
    let mut days = vec![
        (ymd(year, 1, 1)?, ANO_NUEVO),
        (shift(easter, -2)?, VIERNES_SANTO),
        (shift(easter, -1)?, "S\u{e1}bado Santo"),
        (ymd(year, 5, 1)?, "D\u{ed}a Nacional del Trabajo"),
        (ymd(year, 5, 21)?, "D\u{ed}a de las Glorias Navales"),
        (chile_ley_19668(ymd(year, 6, 29)?)?, SAN_PEDRO_Y_SAN_PABLO),
        (ymd(year, 8, 15)?, ASUNCION),
        (ymd(year, 9, 18)?, "Independencia Nacional"),
        (ymd(year, 9, 19)?, "D\u{ed}a de las Glorias del Ej\u{e9}rcito"),
        (chile_ley_19668(ymd(year, 10, 12)?)?, "Encuentro de Dos Mundos"),
        (ymd(year, 11, 1)?, "D\u{ed}a de Todos los Santos"),
        (ymd(year, 12, 8)?, INMACULADA_CONCEPCION),
        (ymd(year, 12, 25)?, NAVIDAD),
    ];
    let january_2 = ymd(year, 1, 2)?;
    if year >= 2017 && january_2.weekday() == Weekday::Mon {
        days.push((january_2, "Feriado adicional"));
    }
    if year >= 2021 {
        let solstice = if year == 2021 { ymd(year, 6, 21)? } else { chile_winter_solstice(year)? };
        days.push((solstice, "D\u{ed}a Nacional de los Pueblos Ind\u{ed}genas"));
    }
    if year >= 2007 {
        days.push((ymd(year, 7, 16)?, "Virgen del Carmen"));
    }
    let september_17 = ymd(year, 9, 17)?;
    let bridge_17 = match september_17.weekday() {
        Weekday::Mon => year >= 2007,
        Weekday::Fri => year >= 2017,
        _ => false,
    };
    if bridge_17 {
        days.push((september_17, FIESTAS_PATRIAS));
    }
    let september_20 = ymd(year, 9, 20)?;
    if year >= 2008 && september_20.weekday() == Weekday::Fri {
        days.push((september_20, FIESTAS_PATRIAS));
    }
    if year >= 2008 {
        let october_31 = ymd(year, 10, 31)?;
        let evangelicas = match october_31.weekday() {
            Weekday::Tue => shift(october_31, -4)?,
            Weekday::Wed => shift(october_31, 2)?,
            _ => october_31,
        };
        days.push((evangelicas, "D\u{ed}a de las Iglesias Evang\u{e9}licas y Protestantes"));
    }
    Some(days)
}

fn peru(year: i32) -> Option<Vec<Holiday>> {
    let easter = easter_sunday(year)?;
    let mut days = vec![
        (ymd(year, 1, 1)?, ANO_NUEVO),
        (shift(easter, -3)?, JUEVES_SANTO),
        (shift(easter, -2)?, VIERNES_SANTO),
        (ymd(year, 5, 1)?, DIA_DEL_TRABAJO),
        (ymd(year, 6, 29)?, SAN_PEDRO_Y_SAN_PABLO),
        (ymd(year, 7, 28)?, "D\u{ed}a de la Independencia"),
        (ymd(year, 7, 29)?, "D\u{ed}a de la Gran Parada Militar"),
        (ymd(year, 8, 30)?, "Santa Rosa de Lima"),
        (ymd(year, 10, 8)?, "Combate de Angamos"),
        (ymd(year, 11, 1)?, TODOS_LOS_SANTOS),
        (ymd(year, 12, 8)?, INMACULADA_CONCEPCION),
        (ymd(year, 12, 25)?, "Navidad del Se\u{f1}or"),
    ];
    if year >= 2022 {
        days.push((ymd(year, 8, 6)?, "Batalla de Jun\u{ed}n"));
        days.push((ymd(year, 12, 9)?, "Batalla de Ayacucho"));
    }
    if year >= 2023 {
        days.push((ymd(year, 7, 23)?, "D\u{ed}a de la Fuerza A\u{e9}rea del Per\u{fa}"));
    }
    if year >= 2024 {
        days.push((ymd(year, 6, 7)?, "Batalla de Arica y D\u{ed}a de la Bandera"));
    }
    Some(days)
}

fn spain(year: i32) -> Option<Vec<Holiday>> {
    let easter = easter_sunday(year)?;
    Some(vec![
        (ymd(year, 1, 1)?, ANO_NUEVO),
        (ymd(year, 1, 6)?, "Epifan\u{ed}a del Se\u{f1}or"),
        (shift(easter, -2)?, VIERNES_SANTO),
        (ymd(year, 5, 1)?, "Fiesta del Trabajo"),
        (ymd(year, 8, 15)?, ASUNCION),
        (ymd(year, 10, 12)?, "Fiesta Nacional de Espa\u{f1}a"),
        (ymd(year, 11, 1)?, TODOS_LOS_SANTOS),
        (ymd(year, 12, 6)?, "D\u{ed}a de la Constituci\u{f3}n Espa\u{f1}ola"),
        (ymd(year, 12, 8)?, INMACULADA_CONCEPCION),
        (ymd(year, 12, 25)?, "Natividad del Se\u{f1}or"),
    ])
}

#[cfg(test)]
mod tests;
