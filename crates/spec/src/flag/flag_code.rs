//! Stable diagnostic codes for flag problems (to be listed in
//! [`crate::code`] and docs/spec.md once the parser reads `[flags]`).

/// `type` is not boolean, string, integer, float or object.
pub const UNKNOWN_FLAG_TYPE: &str = "spec::unknown_flag_type";
/// A default, env value, variant or served value of the wrong type.
pub const INVALID_FLAG_VALUE: &str = "spec::invalid_flag_value";
/// A rule or rollout serves a variant the flag does not declare.
pub const UNKNOWN_VARIANT: &str = "spec::unknown_variant";
/// A rollout percentage outside 0–100 or finer than 0.01.
pub const INVALID_PERCENTAGE: &str = "spec::invalid_percentage";
/// A targeting rule without attribute, with no or several operators, an
/// operand of the wrong kind, or no / two things to serve.
pub const INVALID_RULE: &str = "spec::invalid_rule";
/// `expires` is not a `YYYY-MM-DD` date.
pub const INVALID_EXPIRES: &str = "spec::invalid_expires";
/// Warning: the flag's `expires` date has passed.
pub const FLAG_EXPIRED: &str = "spec::flag_expired";
/// `[env.E.flags]` names a flag that `[flags]` does not declare.
pub const UNKNOWN_FLAG: &str = "spec::unknown_flag";
/// A flag `description` that is empty.
pub const EMPTY_DESCRIPTION: &str = "spec::empty_flag_description";

pub const ALL: &[&str] = &[
    UNKNOWN_FLAG_TYPE,
    INVALID_FLAG_VALUE,
    UNKNOWN_VARIANT,
    INVALID_PERCENTAGE,
    INVALID_RULE,
    INVALID_EXPIRES,
    FLAG_EXPIRED,
    UNKNOWN_FLAG,
    EMPTY_DESCRIPTION,
];
