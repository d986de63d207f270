//! How the CLI shows what a person reads: instants in China Standard Time, money in yuan, and
//! an enum's wire name. Pure formatting; nothing here parses.

/// `ms` since the Unix epoch in China Standard Time (UTC+08:00, no daylight saving), to the
/// second: `2026-12-07 23:35:26 CST`. Beyond the calendar's range, the milliseconds as given.
pub fn china_standard_time(ms: u64) -> String {
    let china = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    i128::from(ms)
        .checked_mul(1_000_000)
        .and_then(|nanos| time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
        .map(|moment| moment.to_offset(china))
        .map_or_else(
            || format!("{ms} ms"),
            |moment| {
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}:{:02} CST",
                    moment.year(),
                    u8::from(moment.month()),
                    moment.day(),
                    moment.hour(),
                    moment.minute(),
                    moment.second()
                )
            },
        )
}

/// An amount in fen as yuan with thousands separators: 880000000 → `¥8,800,000.00`.
pub fn yuan(fen: u64) -> String {
    let whole = (fen / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (position, digit) in whole.chars().enumerate() {
        if position > 0 && (whole.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("¥{grouped}.{:02}", fen % 100)
}

/// The wire name of an enum value: a unit variant's string, or the tag of a variant with
/// fields (`{"accepted": {…}}` → `accepted`).
pub fn wire_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        Ok(serde_json::Value::Object(members)) => members.keys().next().cloned().unwrap_or_default(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_china_standard_time() {
        // 2026-12-07T15:35:26Z is 23:35:26 in Beijing; the epoch is 08:00 on 1 January 1970.
        assert_eq!(china_standard_time(1_796_657_726_000), "2026-12-07 23:35:26 CST");
        assert_eq!(china_standard_time(0), "1970-01-01 08:00:00 CST");
        assert_eq!(china_standard_time(u64::MAX), format!("{} ms", u64::MAX));
    }

    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(99_999), "¥999.99");
        assert_eq!(yuan(100_000), "¥1,000.00");
        assert_eq!(yuan(880_000_000), "¥8,800,000.00");
    }
}
