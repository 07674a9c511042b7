//! Memory sizes: `"256MiB"`, `"1GiB"`, `"512MB"`, `"64M"`, `"1.5G"` or a
//! plain integer of bytes.
//!
//! Units: `B`; binary `K`/`M`/`G`/`T` (as Docker's `-m 64m`), `Ki`/`Mi`/…
//! (as Kubernetes) and `KiB`/`MiB`/…; decimal `KB`/`MB`/`GB`/`TB`. Units are
//! case-insensitive; a space between number and unit is allowed.

const KIB: u64 = 1 << 10;

/// Parses a size string into bytes.
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    if number.is_empty() {
        return Err(format!("`{text}` does not start with a number"));
    }
    let multiplier = unit_multiplier(unit.trim())
        .ok_or_else(|| format!("unknown size unit `{}`", unit.trim()))?;
    let bytes = if number.contains('.') {
        let value: f64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        let bytes = (value * multiplier as f64).round();
        if bytes >= u64::MAX as f64 {
            return Err(format!("`{text}` is too large"));
        }
        bytes as u64
    } else {
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{number}` is not a number"))?;
        value
            .checked_mul(multiplier)
            .ok_or_else(|| format!("`{text}` is too large"))?
    };
    if bytes == 0 {
        return Err("a size must be greater than zero".to_string());
    }
    Ok(bytes)
}

fn unit_multiplier(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    let binary = |power: u32| Some(KIB.pow(power));
    let decimal = |power: u32| Some(1000u64.pow(power));
    match unit.as_str() {
        "" | "b" => Some(1),
        "k" | "ki" | "kib" => binary(1),
        "m" | "mi" | "mib" => binary(2),
        "g" | "gi" | "gib" => binary(3),
        "t" | "ti" | "tib" => binary(4),
        "kb" => decimal(1),
        "mb" => decimal(2),
        "gb" => decimal(3),
        "tb" => decimal(4),
        _ => None,
    }
}

/// Formats bytes in the largest binary unit that divides them exactly
/// (`268435456` → `256MiB`), else as plain bytes.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u32); 4] = [("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)];
    for (name, power) in UNITS {
        let unit = KIB.pow(power);
        if bytes >= unit && bytes.is_multiple_of(unit) {
            return format!("{}{name}", bytes / unit);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_binary_decimal_and_docker_units() {
        assert_eq!(parse_size("256MiB"), Ok(256 * 1024 * 1024));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512MB"), Ok(512_000_000));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("128Mi"), Ok(128 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("2 KiB"), Ok(2048));
        assert_eq!(parse_size("4096"), Ok(4096));
    }

    #[test]
    fn rejects_unknown_units_zero_and_garbage() {
        assert_eq!(
            parse_size("12 parsecs"),
            Err("unknown size unit `parsecs`".to_string())
        );
        assert!(parse_size("0MiB").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("1.2.3M").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn formats_in_the_largest_exact_unit() {
        assert_eq!(format_size(256 << 20), "256MiB");
        assert_eq!(format_size(1 << 30), "1GiB");
        assert_eq!(format_size(512_000_000), "500000KiB");
        assert_eq!(format_size(1000), "1000B");
    }
}
